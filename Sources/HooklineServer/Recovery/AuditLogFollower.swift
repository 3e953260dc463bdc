import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads an audit log's complete lines and, when following, keeps reading as it grows — like
/// `tail -F`: a rotated file (a new file at the path) is picked up from its start once the old
/// one is read to its end; a truncated one is read again from the start. A line still being
/// written is held back until its newline arrives.
public struct AuditLogFollower: Sendable {
    public let path: String
    /// How often to look for growth, rotation or truncation.
    public var pollInterval: Duration = .milliseconds(100)

    public init(path: String) {
        self.path = path
    }

    /// Calls `body` with each complete line (newline excluded) and `caughtUp` once, the first time
    /// it reaches the end of what is there. Without `follow`, returns then; with it, runs until
    /// the task is cancelled.
    public func read(follow: Bool, caughtUp: () -> Void = {}, _ body: ([UInt8]) throws -> Void) async throws {
        var reachedEnd = false
        var descriptor: Int32 = -1
        var inode: ino_t = 0
        var offset: off_t = 0
        var partial: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        defer { if descriptor >= 0 { close(descriptor) } }

        while !Task.isCancelled {
            if descriptor < 0 {
                descriptor = open(path, O_RDONLY | O_CLOEXEC)
                if descriptor < 0 {
                    guard follow, errno == ENOENT else {
                        throw FileError(path: path, operation: "read", errno: errno)
                    }
                    try await Task.sleep(for: pollInterval)
                    continue
                }
                var status = stat()
                fstat(descriptor, &status)
                inode = status.st_ino
                offset = 0
                partial.removeAll()
            }

            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if count > 0 {
                offset += off_t(count)
                var start = 0
                for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                    if partial.isEmpty {
                        try body(Array(chunk[start..<index]))
                    } else {
                        partial.append(contentsOf: chunk[start..<index])
                        try body(partial)
                        partial.removeAll(keepingCapacity: true)
                    }
                    start = index + 1
                }
                partial.append(contentsOf: chunk[start..<count])
                continue
            }

            // At the end of what is there.
            if !reachedEnd {
                reachedEnd = true
                caughtUp()
            }
            guard follow else { return }
            var current = stat()
            if stat(path, &current) == 0, current.st_ino != inode {
                // Rotated: the old file is fully read; continue with the new one.
                close(descriptor)
                descriptor = -1
                continue
            }
            var mine = stat()
            if fstat(descriptor, &mine) == 0, mine.st_size < offset {
                // Truncated in place: start over.
                offset = 0
                partial.removeAll()
                continue
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
