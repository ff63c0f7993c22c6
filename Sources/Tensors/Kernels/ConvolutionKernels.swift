/// The geometry of a 2-D convolution over one image `[C, H, W]`.
struct ConvolutionGeometry {
    let channels, height, width: Int
    let kernelHeight, kernelWidth: Int
    let strideY, strideX, paddingY, paddingX, dilationY, dilationX: Int
    let outputHeight, outputWidth: Int
    /// Where each kernel tap reads the image, in (ky, kx) order.
    let taps: [KernelTap]

    /// Where one kernel tap (ky, kx) reads the image: its samples for output (oy, ox) sit
    /// at `oy·strideY·W + ox·strideX + offset` within a channel's plane, and lie inside the
    /// image for the output rows `rows` and columns `columns`. Worked out once per
    /// convolution, so that the per-row loops of im2col and col2im divide nothing.
    struct KernelTap {
        let offset: Int
        let rows: Range<Int>
        let columns: Range<Int>
    }

    init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
        strideY: Int, strideX: Int, paddingY: Int, paddingX: Int, dilationY: Int, dilationX: Int
    ) {
        (self.channels, self.height, self.width) = (channels, height, width)
        (self.kernelHeight, self.kernelWidth) = (kernelHeight, kernelWidth)
        (self.strideY, self.strideX, self.paddingY, self.paddingX) = (strideY, strideX, paddingY, paddingX)
        (self.dilationY, self.dilationX) = (dilationY, dilationX)
        let outputHeight = (height + 2 * paddingY - dilationY * (kernelHeight - 1) - 1) / strideY + 1
        let outputWidth = (width + 2 * paddingX - dilationX * (kernelWidth - 1) - 1) / strideX + 1
        (self.outputHeight, self.outputWidth) = (outputHeight, outputWidth)
        taps = (0..<kernelHeight).flatMap { ky in
            (0..<kernelWidth).map { kx in
                let offsetY = ky * dilationY - paddingY, offsetX = kx * dilationX - paddingX
                return KernelTap(
                    offset: offsetY * width + offsetX,
                    rows: validOutputs(offset: offsetY, stride: strideY, inputSize: height, outputSize: outputHeight),
                    columns: validOutputs(offset: offsetX, stride: strideX, inputSize: width, outputSize: outputWidth))
            }
        }
    }

    /// Rows of the column matrix: one per (channel, ky, kx).
    var columnRows: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per image.
    var positions: Int { outputHeight * outputWidth }
    /// Elements of one image.
    var imageSize: Int { channels * height * width }
    /// Whether output lines are as long as input lines and step one input line at a time,
    /// so consecutive output lines read consecutive stretches of the image.
    var linesAreContiguous: Bool { strideX == 1 && strideY == 1 && outputWidth == width }
    /// Whether the column matrix is the image itself (a 1×1 kernel without stride or padding).
    var columnsAreImage: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1 && paddingY == 0 && paddingX == 0
    }

    /// Calls `body(row, origin, tap)` for each row of the column matrix, (c, ky, kx) in
    /// order, with `origin` the offset of the tap's samples in the image.
    @inline(__always)
    func forEachColumnRow(_ body: (_ row: Int, _ origin: Int, _ tap: KernelTap) -> Void) {
        let planeSize = height * width
        taps.withUnsafeBufferPointer { taps in
            var row = 0
            for c in 0..<channels {
                for tap in taps {
                    body(row, c * planeSize + tap.offset, tap)
                    row += 1
                }
            }
        }
    }
}

/// The outputs `o` whose input `o·stride + offset` lies in `0..<inputSize`.
private func validOutputs(offset: Int, stride: Int, inputSize: Int, outputSize: Int) -> Range<Int> {
    let low = Swift.min(offset >= 0 ? 0 : (-offset + stride - 1) / stride, outputSize)
    let high = inputSize - 1 - offset < 0 ? 0 : (inputSize - 1 - offset) / stride + 1
    return low..<Swift.max(low, Swift.min(high, outputSize))
}

// im2col and col2im run once per image and row of the column matrix, over lines as short
// as 4 floats, where per-line bookkeeping and mispredicted branches would cost more than
// the copy. So whole lines outside the image are one fill, and when output lines are as
// long as input lines (stride 1, "same" width) the valid lines of a row are one contiguous
// block of the image, moved in one go; the few samples that wrap around a line's edge are
// fixed up after.

/// Unfolds every receptive field of one image (`[C, H, W]`) into the column matrix
/// `[C·kh·kw, oh·ow]`: row (c, ky, kx), column (oy, ox).
func im2col(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>) {
    let (oh, ow, positions) = (g.outputHeight, g.outputWidth, g.positions)
    let (sourceLineStride, strideX, contiguous) = (g.strideY * g.width, g.strideX, g.linesAreContiguous)
    g.forEachColumnRow { row, origin, tap in
        let (rows, valid) = (tap.rows, tap.columns)
        let out = columns + row * positions
        // Most rows need neither fill: skip the calls.
        if rows.lowerBound > 0 { out.update(repeating: 0, count: rows.lowerBound * ow) }
        if rows.upperBound < oh { (out + rows.upperBound * ow).update(repeating: 0, count: (oh - rows.upperBound) * ow) }
        guard !rows.isEmpty else { return }
        let source = image + (origin + rows.lowerBound * sourceLineStride)
        let first = out + rows.lowerBound * ow
        let (low, high) = (valid.lowerBound, valid.upperBound)
        if contiguous {
            let end = (rows.count - 1) * ow + high
            copyLine(from: source + low, to: first + low, count: end - low)
            zeroInvalidColumns(low: low, high: high, width: ow, lines: rows.count, from: first)
            return
        }
        var (from, line) = (source, first)
        for _ in rows {
            for ox in 0..<low { line[ox] = 0 }
            if strideX == 1 {
                copyLine(from: from + low, to: line + low, count: high - low)
            } else {
                for ox in low..<high { line[ox] = from[ox &* strideX] }
            }
            for ox in high..<ow { line[ox] = 0 }
            from += sourceLineStride
            line += ow
        }
    }
}

/// Folds a column matrix back into one image (`[C, H, W]`, zeroed here), summing the
/// overlapping receptive fields: the adjoint of `im2col`. The entries of `columns` that
/// fall outside the image are overwritten with zeros.
func col2im(_ columns: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry, into image: UnsafeMutablePointer<Float>) {
    let (ow, positions) = (g.outputWidth, g.positions)
    let (targetLineStride, strideX, contiguous) = (g.strideY * g.width, g.strideX, g.linesAreContiguous)
    image.update(repeating: 0, count: g.imageSize)
    g.forEachColumnRow { row, origin, tap in
        let (rows, valid) = (tap.rows, tap.columns)
        guard !rows.isEmpty else { return }
        let target = image + (origin + rows.lowerBound * targetLineStride)
        let first = columns + (row * positions + rows.lowerBound * ow)
        let (low, high) = (valid.lowerBound, valid.upperBound)
        if contiguous {
            zeroInvalidColumns(low: low, high: high, width: ow, lines: rows.count, from: first)
            let end = (rows.count - 1) * ow + high
            addLine(first + low, into: target + low, count: end - low)
            return
        }
        var (to, line) = (target, first)
        for _ in rows {
            if strideX == 1 {
                addLine(line + low, into: to + low, count: high - low)
            } else {
                for ox in low..<high { to[ox &* strideX] += line[ox] }
            }
            to += targetLineStride
            line += ow
        }
    }
}

/// Zeroes the entries `(line, ox)` with `ox` outside `low..<high`, for `lines` lines of
/// `width` floats from `first`: the samples a block move carried across line edges. Column
/// by column, down the lines: there are one or two such columns, and a loop along a line
/// would become a `memset` call per line.
@inline(__always)
private func zeroInvalidColumns(low: Int, high: Int, width: Int, lines: Int, from first: UnsafeMutablePointer<Float>) {
    func zeroColumn(_ column: Int) {
        var entry = first + column
        for _ in 0..<lines {
            entry.pointee = 0
            entry += width
        }
    }
    for column in 0..<low { zeroColumn(column) }
    for column in high..<width { zeroColumn(column) }
}

// Lines are too short for `memmove` to pay its call and too short for the compiler's own
// vector loop to start, so the two line kernels move 8, then 4, then 1 float at a time.

@inline(__always)
private func copyLine(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(destination))
    var i = 0
    while i &+ 8 <= count {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    if i &+ 4 <= count {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self), toByteOffset: i &* 4, as: SIMD4<Float>.self)
        i &+= 4
    }
    while i < count {
        destination[i] = source[i]
        i &+= 1
    }
}

@inline(__always)
private func addLine(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
    let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(destination))
    var i = 0
    while i &+ 8 <= count {
        let sum = to.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + from.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        to.storeBytes(of: sum, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    if i &+ 4 <= count {
        let sum = to.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self) + from.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self)
        to.storeBytes(of: sum, toByteOffset: i &* 4, as: SIMD4<Float>.self)
        i &+= 4
    }
    while i < count {
        destination[i] += source[i]
        i &+= 1
    }
}

/// The three products of a convolution, lowered image by image: each image's column
/// matrix is built, used and dropped while it is still in cache, and its products land in
/// `[N, C, …]` order with no transpose. Images are split across the engine's threads, each
/// calling BLAS single-threaded — one product per image is too small to split again, and
/// one big product over the whole batch spends its time packing a column matrix far larger
/// than the cache.
///
/// The image side is `[N, C, H, W]` as `geometry` describes it; the column side is
/// `[N, O, oh, ow]`; the weight is `[O, C/groups · kh · kw]`.
struct ConvolutionLowering {
    let geometry: ConvolutionGeometry
    let batch: Int
    let outputChannels: Int
    let groups: Int

    private var groupRows: Int { geometry.columnRows / groups }  // K per group
    private var groupChannels: Int { outputChannels / groups }  // O per group
    private var outputSize: Int { outputChannels * geometry.positions }

    /// `[N, O, oh, ow]` = `weight · im2col(image)` per image, plus `bias` per channel.
    func forward(_ image: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>) {
        let (positions, rows, channels) = (geometry.positions, groupRows, groupChannels)
        forEachImageChunk { _, images in
            let scratch = columnScratch()
            for n in images {
                let columns = self.columns(of: image + n * geometry.imageSize, scratch: scratch)
                let out = output + n * outputSize
                if let bias {
                    for o in 0..<outputChannels { (out + o * positions).update(repeating: bias[o], count: positions) }
                }
                for group in 0..<groups {
                    groupProduct(
                        weight + group * channels * rows, columns + group * rows * positions, out + group * channels * positions,
                        m: channels, n: positions, k: rows, transposeA: false, transposeB: false, accumulate: bias != nil)
                }
            }
            withExtendedLifetime(scratch) {}
        }
    }

    /// `[N, C, H, W]` = `col2im(weightᵀ · gradient)` per image: the adjoint of `forward`.
    func adjoint(_ gradient: UnsafePointer<Float>, weight: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let (positions, rows, channels) = (geometry.positions, groupRows, groupChannels)
        forEachImageChunk { _, images in
            let scratch = geometry.columnsAreImage ? nil : columnScratch()
            for n in images {
                let target = image + n * geometry.imageSize
                let columns = scratch?.storage.pointer ?? target
                for group in 0..<groups {
                    groupProduct(
                        weight + group * channels * rows, gradient + n * outputSize + group * channels * positions,
                        columns + group * rows * positions, m: rows, n: positions, k: channels, transposeA: true, transposeB: false)
                }
                if scratch != nil { col2im(columns, geometry, into: target) }
            }
            withExtendedLifetime(scratch) {}
        }
    }

    /// `[O, C/groups · kh · kw]` = Σₙ `gradientₙ · im2col(imageₙ)ᵀ`. Each thread sums its
    /// images into its own partial, and the partials are added at the end (in a fixed
    /// order, so the result does not depend on timing).
    func weightGradient(_ image: UnsafePointer<Float>, gradient: UnsafePointer<Float>) -> Tensor {
        let (positions, rows, channels) = (geometry.positions, groupRows, groupChannels)
        let weightSize = outputChannels * rows
        let chunks = imageChunkCount
        let partials = Tensor(uninitialized: [chunks, weightSize])
        forEachImageChunk { chunk, images in
            let scratch = columnScratch()
            let partial = partials.storage.pointer + chunk * weightSize
            for n in images {
                let columns = self.columns(of: image + n * geometry.imageSize, scratch: scratch)
                for group in 0..<groups {
                    groupProduct(
                        gradient + n * outputSize + group * channels * positions, columns + group * rows * positions,
                        partial + group * channels * rows,
                        m: channels, n: rows, k: positions, transposeA: false, transposeB: true, accumulate: n != images.lowerBound)
                }
            }
            withExtendedLifetime(scratch) {}
        }
        return chunks == 1 ? partials.reshaped([weightSize]) : partials.sum(axes: [0])
    }

    /// One group's product for one image. A depthwise convolution's groups hold one or two
    /// output channels of 9 weights each: thousands of such products per batch, where a
    /// BLAS call costs more than its arithmetic, so small weight blocks take plain loops.
    @inline(__always)
    private func groupProduct(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool = false
    ) {
        if groupChannels * groupRows <= 64 {
            smallProduct(a, b, c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, accumulate: accumulate)
        } else {
            gemm(a, b, c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, accumulate: accumulate)
        }
    }

    /// Images per thread: enough multiply-adds each that splitting pays for itself.
    private var imageGrain: Int {
        let work = outputChannels * groupRows * geometry.positions
        return Swift.max(1, (1 << 18) / Swift.max(work, 1))
    }

    private var imageChunkCount: Int { parallelChunkCount(batch, grain: imageGrain) }

    private func forEachImageChunk(_ body: (_ chunk: Int, Range<Int>) -> Void) {
        if imageChunkCount > 1 {
            withSingleThreadedBLAS { parallelForChunks(batch, grain: imageGrain, body) }
        } else if batch > 0 {
            // One chunk: BLAS keeps its own threads for the products.
            body(0, 0..<batch)
        }
    }

    private func columnScratch() -> Tensor? {
        geometry.columnsAreImage ? nil : Tensor(uninitialized: [geometry.columnRows * geometry.positions])
    }

    private func columns(of image: UnsafePointer<Float>, scratch: Tensor?) -> UnsafePointer<Float> {
        guard let scratch else { return image }
        im2col(image, geometry, into: scratch.storage.pointer)
        return UnsafePointer(scratch.storage.pointer)
    }
}

/// `c = op(a) · op(b)` (`+ c` when accumulating) for row-major blocks, by plain loops: for
/// products whose setup in BLAS would cost more than their arithmetic. Without a transposed
/// `b`, each output row is a sum of scaled rows of `b` (vectorised along `n`); with one,
/// each output is a dot product along `k`. (The convolution products never transpose both.)
func smallProduct(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool
) {
    precondition(!(transposeA && transposeB), "smallProduct: both operands transposed")
    for i in 0..<m {
        let row = c + i * n
        if transposeB {
            let left = a + i * k
            for l in 0..<n {
                let right = b + l * k
                let dot = vectorizedSum(count: k, { load16(left, $0) * load16(right, $0) }, { left[$0] * right[$0] })
                row[l] = accumulate ? row[l] + dot : dot
            }
            continue
        }
        if !accumulate { row.update(repeating: 0, count: n) }
        for j in 0..<k {
            let scale = transposeA ? a[j * m + i] : a[i * k + j]
            let source = b + j * n
            for p in 0..<n { row[p] += scale * source[p] }
        }
    }
}
