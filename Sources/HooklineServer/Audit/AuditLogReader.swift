import HooklineCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads an audit log for recovery, redrive and tooling: whole lines only (a line still being
/// written at the end is left alone), each with its byte offset; unreadable lines are counted,
/// never fatal.
package enum AuditLogReader {
    /// What a read found.
    package struct Summary: Sendable {
        package var lines = 0
        package var unreadable = 0
        /// Bytes of a final line without its newline (a write cut short by a crash).
        package var partialTail = 0
        /// Bytes up to the end of the last complete line.
        package var completeBytes: Int64 = 0

        package init() {}
    }

    /// Calls `body` with every complete line of the file at `path` (newline excluded) and the
    /// offset it starts at. A missing file reads as empty.
    package static func forEachLine(
        in path: String,
        _ body: (UnsafeRawBufferPointer, Int64) throws -> Void
    ) throws -> Summary {
        guard SystemCalls.exists(path) else { return Summary() }
        let descriptor = try SystemCalls.open(path, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        return try forEachLine(of: descriptor, path: path, body)
    }

    /// Like `forEachLine(in:)`, from the start of an open file.
    package static func forEachLine(
        of descriptor: FileDescriptor,
        path: String,
        _ body: (UnsafeRawBufferPointer, Int64) throws -> Void
    ) throws -> Summary {
        var summary = Summary()
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4 << 20)
        var chunkStart: Int64 = 0
        while true {
            let count = try SystemCalls.read(descriptor, at: chunkStart, into: &chunk, path: path, operation: "read the audit log")
            if count == 0 { break }
            try chunk.withUnsafeBytes { whole in
                let buffer = UnsafeRawBufferPointer(rebasing: whole[0..<count])
                guard let base = buffer.baseAddress else { return }
                var start = 0
                // memchr: recovery reads a million lines a second.
                while start < count, let newline = memchr(base + start, 0x0A, count - start) {
                    let index = base.distance(to: UnsafeRawPointer(newline))
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
    package static func forEachRecord(in path: String, _ body: (AuditRecord) throws -> Void) throws -> Summary {
        var unreadable = 0
        var summary = try forEachLine(in: path) { line, _ in
            switch Result(catching: { () throws(AuditLineError) in try AuditRecord(jsonLine: line) }) {
            case .success(let record): try body(record)
            case .failure: if !line.allSatisfy({ $0 == UInt8(ascii: " ") }) { unreadable += 1 }
            }
        }
        summary.unreadable = unreadable
        return summary
    }

    /// The complete line starting at `offset` of an open file (newline excluded); an error when
    /// the file ends before its newline.
    package static func line(at offset: Int64, in descriptor: FileDescriptor, path: String) throws(FileError) -> [UInt8] {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        var position = offset
        while true {
            let count = try SystemCalls.read(descriptor, at: position, into: &chunk, path: path, operation: "read back a line of")
            guard count > 0 else {
                throw FileError(path: path, operation: "read back a line of", reason: "the file ends at byte \(position), before the line's end")
            }
            if let newline = chunk[0..<count].firstIndex(of: 0x0A) {
                line.append(contentsOf: chunk[0..<newline])
                return line
            }
            line.append(contentsOf: chunk[0..<count])
            position += Int64(count)
        }
    }
}
