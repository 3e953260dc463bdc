import HooklineCore
import SystemPackage

/// The audit log's file: opened for appending under an exclusive lock (one writer per log),
/// appended in whole batches, synced, and read back by offset.
package struct AuditFile: Sendable {
    package let path: String
    package let descriptor: FileDescriptor

    /// Opens (creating if needed) the log at `path` for appending and takes its exclusive lock.
    package static func openLocked(_ path: String, truncate: Bool = false, attempt: Int = 1) throws(FileError) -> AuditFile {
        let options: FileDescriptor.OpenOptions = truncate ? [.create, .append, .truncate] : [.create, .append]
        let descriptor = try SystemCalls.open(path, .readWrite, options: options, permissions: [.ownerReadWrite, .groupRead], operation: "open the audit log")
        // One writer per log: a second Hookline on the same file would recover the first one's
        // unfinished events and apply them twice.
        let locked: Bool
        do {
            locked = try SystemCalls.lockExclusively(descriptor, path: path)
        } catch {
            SystemCalls.closeAfterReading(descriptor)
            throw error
        }
        guard locked else {
            SystemCalls.closeAfterReading(descriptor)
            throw FileError(
                path: path, operation: "open the audit log",
                reason: "another hookline process is using it (send to that one with replay --to, or use another audit.path)")
        }
        // The file opened may have been renamed away between the open and the lock (a rotation
        // by the Hookline that held it, which then let go of the old file): that one is an
        // archive now, and the log is the file at the path.
        if let opened = try? SystemCalls.status(descriptor, path: path).inode, let current = SystemCalls.inode(at: path), opened != current {
            SystemCalls.closeAfterReading(descriptor)
            guard attempt < 3 else {
                throw FileError(path: path, operation: "open the audit log", reason: "it keeps being replaced while it is opened")
            }
            return try openLocked(path, truncate: truncate, attempt: attempt + 1)
        }
        return AuditFile(path: path, descriptor: descriptor)
    }

    /// The file's size now.
    package func size() throws(FileError) -> Int64 { try SystemCalls.status(descriptor, path: path).size }

    /// Appends whole lines in one write.
    package func append(_ bytes: [UInt8]) throws(FileError) {
        try SystemCalls.writeAll(bytes, to: descriptor, path: path, operation: "write the audit log")
    }

    /// Forces what was written to disk.
    package func sync() throws(FileError) { try SystemCalls.dataSync(descriptor, path: path) }

    /// Cuts the file to `size` (a final line a crash left without its newline).
    package func truncate(to size: Int64) throws(FileError) { try SystemCalls.truncate(descriptor, to: size, path: path) }

    /// The complete line starting at `offset` (newline excluded).
    package func line(at offset: Int64) throws(FileError) -> [UInt8] {
        try AuditLogReader.line(at: offset, in: descriptor, path: path)
    }

    /// Closes a file abandoned before anything was written to it (a failed open or rotation).
    package func abandon() { SystemCalls.closeAfterReading(descriptor) }

    /// Closes the file (its lock goes with it).
    package func close() throws(FileError) { try SystemCalls.close(descriptor, path: path) }
}
