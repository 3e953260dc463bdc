import SystemPackage

/// Whole-file reads for fixtures, configuration and `hookline sign`.
package enum FileBytes {
    /// Every byte of the file at `path`; `-` reads standard input.
    package static func read(_ path: String, limit: Int = 64 << 20) throws(FileError) -> [UInt8] {
        let descriptor = path == "-" ? .standardInput : try SystemCalls.open(path, .readOnly, operation: "read")
        defer { if descriptor != .standardInput { SystemCalls.closeAfterReading(descriptor) } }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try SystemCalls.read(descriptor, into: &chunk, path: path, operation: "read")
            if count == 0 { return result }
            guard result.count + count <= limit else {
                throw FileError(path: path, operation: "read", reason: "larger than \(limit) bytes")
            }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// The file's text, which must be UTF-8.
    package static func readText(_ path: String) throws(FileError) -> String {
        let bytes = try read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileError(path: path, operation: "read", reason: "not UTF-8 text")
        }
        return text
    }
}
