import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// The files `hookline replay` sends: files as given, folders walked in sorted order, each with
/// its source (the folder it sits in, unless one is forced).
public enum ReplayFiles {
    public struct Item: Sendable, Hashable {
        public var path: String
        public var source: String
    }

    /// Collects `paths`; a path that does not exist is an error naming it.
    public static func collect(_ paths: [String], source forced: String?) throws(FileError) -> [Item] {
        var items: [Item] = []
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else { throw FileError(path: path, operation: "replay", errno: errno) }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                for file in try files(under: path) { items.append(Item(path: file, source: forced ?? folderName(of: file))) }
            } else {
                items.append(Item(path: path, source: forced ?? folderName(of: path)))
            }
        }
        return items
    }

    /// The name of the folder a file sits in.
    static func folderName(of path: String) -> String {
        let parts = path.split(separator: "/")
        if parts.count >= 2 { return String(parts[parts.count - 2]) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "" }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(cwd.split(separator: "/").last ?? "")
    }

    /// Every regular file below `directory`, sorted, skipping hidden files and the manifest.
    static func files(under directory: String) throws(FileError) -> [String] {
        guard let handle = opendir(directory) else { throw FileError(path: directory, operation: "list", errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), name != "manifest.json", !name.hasSuffix(".md") else { continue }
            names.append(name)
        }
        var result: [String] = []
        for name in names.sorted() {
            let path = directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                result += try files(under: path)
            } else if (status.st_mode & S_IFMT) == S_IFREG {
                result.append(path)
            }
        }
        return result
    }
}
