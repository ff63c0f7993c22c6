/// The geometry of a 2-D convolution over an image batch `[N, C, H, W]`.
struct ConvolutionGeometry {
    let batch, channels, height, width: Int
    let kernelHeight, kernelWidth: Int
    let strideY, strideX, paddingY, paddingX, dilationY, dilationX: Int

    var outputHeight: Int { (height + 2 * paddingY - dilationY * (kernelHeight - 1) - 1) / strideY + 1 }
    var outputWidth: Int { (width + 2 * paddingX - dilationX * (kernelWidth - 1) - 1) / strideX + 1 }
    /// Rows of the column matrix: one per (channel, ky, kx).
    var columnRows: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per image.
    var positions: Int { outputHeight * outputWidth }

    /// The output columns `ox` whose input column `ox·stride + offset` lies inside the image.
    @inline(__always)
    func validColumns(offset: Int) -> Range<Int> {
        let low = offset >= 0 ? 0 : (-offset + strideX - 1) / strideX
        let high = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / strideX + 1
        return low..<Swift.max(low, Swift.min(high, outputWidth))
    }
}

/// Unfolds every receptive field of `image` (`[N, C, H, W]`) into the column matrix
/// `[C·kh·kw, N·oh·ow]`: row (c, ky, kx), column (n, oy, ox). Rows are independent, so
/// they are split across threads.
func im2col(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>) {
    let (oh, ow, positions) = (g.outputHeight, g.outputWidth, g.positions)
    let rowLength = g.batch * positions
    parallelFor(g.columnRows, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(rowLength, 1))) { rows in
        for row in rows {
            let kx = row % g.kernelWidth, ky = (row / g.kernelWidth) % g.kernelHeight, c = row / (g.kernelWidth * g.kernelHeight)
            let offsetX = kx * g.dilationX - g.paddingX
            let valid = g.validColumns(offset: offsetX)
            for n in 0..<g.batch {
                let plane = image + (n * g.channels + c) * g.height * g.width
                let out = columns + row * rowLength + n * positions
                for oy in 0..<oh {
                    let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
                    let line = out + oy * ow
                    guard iy >= 0 && iy < g.height else {
                        line.update(repeating: 0, count: ow)
                        continue
                    }
                    let source = plane + iy * g.width + offsetX
                    for ox in 0..<valid.lowerBound { line[ox] = 0 }
                    if g.strideX == 1 {
                        (line + valid.lowerBound).update(from: source + valid.lowerBound, count: valid.count)
                    } else {
                        for ox in valid { line[ox] = source[ox * g.strideX] }
                    }
                    for ox in valid.upperBound..<ow { line[ox] = 0 }
                }
            }
        }
    }
}

/// Folds a column matrix back into `image` (`[N, C, H, W]`, zeroed here), summing the
/// overlapping receptive fields: the adjoint of `im2col`. Channels are split across
/// threads, since every (ky, kx) row of one channel writes the same planes.
func col2im(_ columns: UnsafePointer<Float>, _ g: ConvolutionGeometry, into image: UnsafeMutablePointer<Float>) {
    let (oh, ow, positions) = (g.outputHeight, g.outputWidth, g.positions)
    let rowLength = g.batch * positions
    let planeSize = g.height * g.width
    for n in 0..<g.batch { (image + n * g.channels * planeSize).update(repeating: 0, count: g.channels * planeSize) }
    let perChannel = g.kernelHeight * g.kernelWidth * rowLength
    parallelFor(g.channels, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(perChannel, 1))) { channelRange in
        for c in channelRange {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                    let offsetX = kx * g.dilationX - g.paddingX
                    let valid = g.validColumns(offset: offsetX)
                    for n in 0..<g.batch {
                        let plane = image + (n * g.channels + c) * planeSize
                        let source = columns + row * rowLength + n * positions
                        for oy in 0..<oh {
                            let iy = oy * g.strideY - g.paddingY + ky * g.dilationY
                            guard iy >= 0 && iy < g.height else { continue }
                            let target = plane + iy * g.width + offsetX
                            let line = source + oy * ow
                            if g.strideX == 1 {
                                for ox in valid { target[ox] += line[ox] }  // a constant stride vectorises
                            } else {
                                for ox in valid { target[ox * g.strideX] += line[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}
