#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads for fixtures, configuration and `hookline sign`.
public enum FileBytes {
    /// Every byte of the file at `path`; `-` reads standard input.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(FileError) -> [UInt8] {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "read", errno: errno) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }

        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return result }
            guard result.count + count <= limit else {
                throw FileError(path: path, operation: "read", reason: "larger than \(limit) bytes")
            }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// The file's text, which must be UTF-8.
    public static func readText(_ path: String) throws(FileError) -> String {
        let bytes = try read(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileError(path: path, operation: "read", reason: "not UTF-8 text")
        }
        return text
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Musl)
private let systemRead = Musl.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif
