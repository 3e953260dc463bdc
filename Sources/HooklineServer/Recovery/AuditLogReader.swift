import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads an audit log for recovery and `hookline tail`: whole lines only (a line still being
/// written at the end is left alone), unreadable lines counted, never fatal.
public struct AuditLogReader {
    /// What a read found.
    public struct Summary: Sendable {
        public var lines = 0
        public var unreadable = 0
        /// Bytes of a final line without its newline (a write cut short by a crash).
        public var partialTail = 0

        public init() {}
    }

    /// Calls `body` with every readable record of the file at `path`, in order. A missing file
    /// reads as empty.
    public static func forEachRecord(in path: String, _ body: (AuditRecord) throws -> Void) throws -> Summary {
        var summary = Summary()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return summary }
            throw FileError(path: path, operation: "read the audit log", errno: errno)
        }
        defer { close(descriptor) }

        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read the audit log", errno: errno)
            }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                let line: ArraySlice<UInt8>
                if carry.isEmpty {
                    line = chunk[start..<index]
                } else {
                    carry.append(contentsOf: chunk[start..<index])
                    line = carry[...]
                }
                summary.lines += 1
                if let record = try? AuditRecord(jsonLine: line) {
                    try body(record)
                } else if !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                    summary.unreadable += 1
                }
                carry.removeAll(keepingCapacity: true)
                start = index + 1
            }
            carry.append(contentsOf: chunk[start..<count])
        }
        summary.partialTail = carry.count
        return summary
    }
}
