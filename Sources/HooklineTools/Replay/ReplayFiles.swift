import HooklineCore
import HooklineServer

/// The files `hookline replay` sends: files as given, folders walked in sorted order, each with
/// its source (the folder it sits in, unless one is forced).
package enum ReplayFiles {
    package struct Item: Sendable, Hashable {
        package var path: String
        package var source: String
    }

    /// Collects `paths`; a path that does not exist is an error naming it.
    package static func collect(_ paths: [String], source forced: String?) throws(FileError) -> [Item] {
        var items: [Item] = []
        for path in paths {
            if try SystemCalls.kind(at: path) == .directory {
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
        return String(SystemCalls.currentDirectory()?.split(separator: "/").last ?? "")
    }

    /// Every regular file below `directory`, sorted, skipping hidden files and the manifest.
    static func files(under directory: String) throws(FileError) -> [String] {
        let names = try SystemCalls.names(in: directory).filter { !$0.hasPrefix(".") && $0 != "manifest.json" && !$0.hasSuffix(".md") }
        var result: [String] = []
        for name in names.sorted() {
            let path = directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
            switch try SystemCalls.kind(at: path) {
            case .directory: result += try files(under: path)
            case .regular: result.append(path)
            case .other: continue
            }
        }
        return result
    }
}
