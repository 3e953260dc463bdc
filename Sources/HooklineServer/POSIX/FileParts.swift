/// A file's directory and name, and the hidden files Hookline keeps beside a log file.
enum FileParts {
    /// `path`'s directory (`.` when it names none; empty for one in `/`) and its name.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The names in `path`'s directory (none when it cannot be read).
    static func siblings(of path: String) -> [String] {
        let directory = split(path).directory
        return (try? SystemCalls.names(in: directory.isEmpty ? "/" : directory)) ?? []
    }

    /// `<dir>/.<name><suffix>`: hidden, so no glob of the log's archives (`audit.jsonl.*`) takes it.
    static func hidden(beside file: String, suffix: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return ".\(file)\(suffix)" }
        return "\(file[...slash]).\(file[file.index(after: slash)...])\(suffix)"
    }
}
