import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Hookline's one layer over the system's file calls. Opening, reading and writing go through
/// swift-system's `FileDescriptor` (which retries `EINTR` itself); the calls it lacks —
/// `fdatasync`, `flock`, `ftruncate`, `fstat`, `link`, `rename`, `unlink`, a directory's
/// `fsync` — go through `call`, which retries `EINTR` and captures `errno` with what failed.
package enum SystemCalls {
    /// Runs `body` (a system call returning -1 on failure) until it is not interrupted.
    @discardableResult
    package static func call<Result: FixedWidthInteger>(
        _ operation: String,
        _ path: String,
        _ body: () -> Result
    ) throws(FileError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw FileError(path: path, operation: operation, errno: code)
        }
    }

    /// Opens `path`; the error names the operation.
    package static func open(
        _ path: String,
        _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions? = nil,
        operation: String
    ) throws(FileError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(path), mode, options: options.union(.closeOnExec), permissions: permissions)
        } catch {
            throw FileError(path: path, operation: operation, error)
        }
    }

    /// Writes all of `bytes`.
    package static func writeAll(_ bytes: [UInt8], to descriptor: FileDescriptor, path: String, operation: String) throws(FileError) {
        guard !bytes.isEmpty else { return }
        do {
            _ = try descriptor.writeAll(bytes)
        } catch {
            throw FileError(path: path, operation: operation, error)
        }
    }

    /// Reads at `offset` (the current offset when nil) into `buffer`, from its start; the
    /// count read, 0 at the end of the file.
    package static func read(
        _ descriptor: FileDescriptor, at offset: Int64? = nil, into buffer: inout [UInt8], path: String, operation: String
    ) throws(FileError) -> Int {
        let result = buffer.withUnsafeMutableBytes { bytes -> Result<Int, FileError> in
            do {
                if let offset { return .success(try descriptor.read(fromAbsoluteOffset: offset, into: bytes)) }
                return .success(try descriptor.read(into: bytes))
            } catch {
                return .failure(FileError(path: path, operation: operation, error))
            }
        }
        return try result.get()
    }

    /// Closes a file that was written: a failure may mean lost writes, so it is the caller's to report.
    package static func close(_ descriptor: FileDescriptor, path: String) throws(FileError) {
        do {
            try descriptor.close()
        } catch {
            throw FileError(path: path, operation: "close", error)
        }
    }

    /// Closes a file that was only read. Nothing was written through it, so a failed close
    /// loses nothing, and close(2) releases the descriptor either way.
    package static func closeAfterReading(_ descriptor: FileDescriptor) {
        _ = Glibc.close(descriptor.rawValue)
    }

    /// Forces the file's data to disk.
    package static func dataSync(_ descriptor: FileDescriptor, path: String) throws(FileError) {
        try call("fdatasync", path) { fdatasync(descriptor.rawValue) }
    }

    /// Takes the file's exclusive lock without waiting; false when another process holds it.
    package static func lockExclusively(_ descriptor: FileDescriptor, path: String) throws(FileError) -> Bool {
        do {
            try call("lock", path) { flock(descriptor.rawValue, LOCK_EX | LOCK_NB) }
            return true
        } catch {
            if error.code == EWOULDBLOCK { return false }
            throw error
        }
    }

    package static func truncate(_ descriptor: FileDescriptor, to size: Int64, path: String) throws(FileError) {
        try call("truncate", path) { ftruncate(descriptor.rawValue, off_t(size)) }
    }

    /// The file's size and inode.
    package static func status(_ descriptor: FileDescriptor, path: String) throws(FileError) -> (size: Int64, inode: UInt64) {
        var status = stat()
        try call("stat", path) { fstat(descriptor.rawValue, &status) }
        return (Int64(status.st_size), UInt64(status.st_ino))
    }

    /// The inode at `path`, or nil when nothing is there.
    package static func inode(at path: String) -> UInt64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_ino)
    }

    /// Whether `path` is a directory, a regular file, or absent.
    package static func kind(at path: String) throws(FileError) -> FileKind {
        var status = stat()
        try call("stat", path) { stat(path, &status) }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        default: return .other
        }
    }

    package enum FileKind { case directory, regular, other }

    /// Whether something exists at `path`.
    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Hard-links `path` as `newPath`; false when `newPath` exists.
    package static func link(_ path: String, as newPath: String) throws(FileError) -> Bool {
        do {
            try call("link", newPath) { Glibc.link(path, newPath) }
            return true
        } catch {
            if error.code == EEXIST { return false }
            throw error
        }
    }

    package static func rename(_ path: String, to newPath: String) throws(FileError) {
        try call("rename", path) { Glibc.rename(path, newPath) }
    }

    /// Removes `path`; true when something was removed, false when nothing was there.
    @discardableResult
    package static func unlink(_ path: String) throws(FileError) -> Bool {
        do {
            try call("remove", path) { Glibc.unlink(path) }
            return true
        } catch {
            if error.code == ENOENT { return false }
            throw error
        }
    }

    package static func setPermissions(_ path: String, _ mode: mode_t) throws(FileError) {
        try call("chmod", path) { chmod(path, mode) }
    }

    /// Makes a rename in `path`'s directory durable.
    package static func syncDirectory(of path: String) throws(FileError) {
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = try open(directory.isEmpty ? "/" : directory, .readOnly, options: .directory, operation: "open the directory of")
        defer { closeAfterReading(descriptor) }
        try call("fsync the directory of", path) { fsync(descriptor.rawValue) }
    }

    /// The names in a directory, without `.` and `..`.
    package static func names(in directory: String) throws(FileError) -> [String] {
        guard let handle = opendir(directory) else { throw FileError(path: directory, operation: "list", errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether a process listens on the Unix socket at `path`: a socket file left by a Hookline
    /// that was killed refuses the connection at once.
    package static func unixSocketListens(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { Glibc.close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }

    /// The current directory.
    package static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
