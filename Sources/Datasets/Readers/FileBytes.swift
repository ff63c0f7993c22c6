import Foundation

/// The bytes of a file, decompressed when they are gzip.
func readBytes(_ url: URL) throws -> Data {
    guard FileManager.default.fileExists(atPath: url.path) else { throw DataError(url.path, "file not found") }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw DataError(url.path, "cannot be read (\(error.localizedDescription))")
    }
    return Inflate.isGzip(data) ? try Inflate.decompress(data, wrapper: .gzipOrZlib, source: url.path) : data
}
