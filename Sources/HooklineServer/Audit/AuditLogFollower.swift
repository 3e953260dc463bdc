import HooklineCore
import SystemPackage

/// Reads an audit log's complete lines and, when following, keeps reading as it grows — like
/// `tail -F`: a rotated file (a new file at the path) is picked up from its start once the old
/// one is read to its end; a truncated one is read again from the start. A line still being
/// written is held back until its newline arrives.
package struct AuditLogFollower: Sendable {
    package let path: String
    /// How often to look for growth, rotation or truncation.
    package var pollInterval: Duration = .milliseconds(100)

    package init(path: String) {
        self.path = path
    }

    /// Calls `body` with each complete line (newline excluded) and `caughtUp` once, the first time
    /// it reaches the end of what is there. Without `follow`, returns then; with it, runs until
    /// the task is cancelled.
    package func read(follow: Bool, caughtUp: () -> Void = {}, _ body: ([UInt8]) throws -> Void) async throws {
        var reachedEnd = false
        var descriptor: FileDescriptor?
        var inode: UInt64 = 0
        var offset: Int64 = 0
        var partial: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        defer { if let descriptor { SystemCalls.closeAfterReading(descriptor) } }

        while !Task.isCancelled {
            guard let open = descriptor else {
                guard SystemCalls.exists(path) else {
                    guard follow else { throw FileError(path: path, operation: "read", reason: "no such file or directory") }
                    try await Task.sleep(for: pollInterval)
                    continue
                }
                let opened = try SystemCalls.open(path, .readOnly, operation: "read")
                descriptor = opened
                inode = try SystemCalls.status(opened, path: path).inode
                offset = 0
                partial.removeAll()
                continue
            }

            let count = try SystemCalls.read(open, at: offset, into: &chunk, path: path, operation: "read")
            if count > 0 {
                offset += Int64(count)
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
            if let current = SystemCalls.inode(at: path), current != inode {
                // Rotated: the old file is fully read; continue with the new one.
                SystemCalls.closeAfterReading(open)
                descriptor = nil
                continue
            }
            if try SystemCalls.status(open, path: path).size < offset {
                // Truncated in place: start over.
                offset = 0
                partial.removeAll()
                continue
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
