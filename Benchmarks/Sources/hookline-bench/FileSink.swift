import HooklineServer

#if canImport(Glibc)
import Glibc
#endif

/// A file written in large chunks.
final class FileSink {
    private let descriptor: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                guard count > 0 else { throw FileError(path: path, operation: "write", errno: errno) }
                offset += count
            }
        }
    }

    func close() { Glibc.close(descriptor) }
}
