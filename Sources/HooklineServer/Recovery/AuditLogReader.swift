import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads an audit log for recovery, redrive and tooling: whole lines only (a line still being
/// written at the end is left alone), each with its byte offset; unreadable lines are counted,
/// never fatal.
public struct AuditLogReader {
    /// What a read found.
    public struct Summary: Sendable {
        public var lines = 0
        public var unreadable = 0
        /// Bytes of a final line without its newline (a write cut short by a crash).
        public var partialTail = 0
        /// Bytes up to the end of the last complete line.
        public var completeBytes: Int64 = 0

        public init() {}
    }

    /// Calls `body` with every complete line (newline excluded) and the offset it starts at.
    /// A missing file reads as empty.
    public static func forEachLine(
        in path: String,
        _ body: (UnsafeRawBufferPointer, Int64) throws -> Void
    ) throws -> Summary {
        var summary = Summary()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return summary }
            throw FileError(path: path, operation: "read the audit log", errno: errno)
        }
        defer { close(descriptor) }

        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4 << 20)
        var chunkStart: Int64 = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read the audit log", errno: errno)
            }
            if count == 0 { break }
            try chunk.withUnsafeBytes { buffer in
                var start = 0
                while start < count {
                    guard let newline = memchr(buffer.baseAddress! + start, 0x0A, count - start) else { break }
                    let index = buffer.baseAddress!.distance(to: UnsafeRawPointer(newline))
                    summary.lines += 1
                    if carry.isEmpty {
                        try body(UnsafeRawBufferPointer(rebasing: buffer[start..<index]), chunkStart + Int64(start))
                    } else {
                        let lineStart = chunkStart - Int64(carry.count)
                        carry.append(contentsOf: buffer[start..<index])
                        try carry.withUnsafeBytes { try body($0, lineStart) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    summary.completeBytes = chunkStart + Int64(index) + 1
                    start = index + 1
                }
                carry.append(contentsOf: buffer[start..<count])
            }
            chunkStart += Int64(count)
        }
        summary.partialTail = carry.count
        return summary
    }

    /// Calls `body` with every readable record of the file at `path`, in order.
    public static func forEachRecord(in path: String, _ body: (AuditRecord) throws -> Void) throws -> Summary {
        var unreadable = 0
        var summary = try forEachLine(in: path) { line, _ in
            if let record = try? AuditRecord(jsonLine: Array(line)) {
                try body(record)
            } else if !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                unreadable += 1
            }
        }
        summary.unreadable = unreadable
        return summary
    }

    /// The complete line starting at `offset` of an open file (newline excluded).
    public static func line(at offset: Int64, in descriptor: Int32) -> [UInt8]? {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        var position = offset
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(position)) }
            guard count > 0 else { return nil }
            if let newline = chunk[0..<count].firstIndex(of: 0x0A) {
                line.append(contentsOf: chunk[0..<newline])
                return line
            }
            line.append(contentsOf: chunk[0..<count])
            position += Int64(count)
        }
    }
}
