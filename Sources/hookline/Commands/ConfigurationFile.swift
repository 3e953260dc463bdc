import HooklineCore
import HooklineServer

/// Loads a configuration file for a command, turning every failure into a usage error (exit 2).
enum ConfigurationFile {
    static func load(_ path: String, environment: [String: String] = ProcessEnvironment.current) throws -> HooklineConfiguration {
        do {
            return try read(path, environment: environment).configuration
        } catch {
            throw CommandFailure.usage("\(error)")
        }
    }

    /// The configuration at `path` and the SHA-256 (hex) of the file, or an error naming the file,
    /// line and key. `${file:/path}` in a value is that file's content without its trailing
    /// newline — a secret mounted as a file, which a reload reads again (the environment is the
    /// process's own, fixed at start).
    static func read(_ path: String, environment: [String: String] = ProcessEnvironment.current) throws -> (configuration: HooklineConfiguration, hash: String) {
        let bytes = try FileBytes.read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        var variables = environment
        for reference in fileReferences(in: text) {
            // A file that cannot be read is left out: the value's error names it.
            guard let content = try? FileBytes.readText(String(reference.dropFirst("file:".count))) else { continue }
            var value = Substring(content)
            while value.last == "\n" || value.last == "\r" { value.removeLast() }
            variables[reference] = String(value)
        }
        return (try ConfigurationLoader.load(yaml: text, file: path, environment: variables), Hex.encode(SHA256Digest.hash(bytes)))
    }

    /// The `file:/path` names of `${file:/path}` references in `text`.
    static func fileReferences(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${file:") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            names.append("file:" + rest[start.upperBound..<end])
            rest = rest[rest.index(after: end)...]
        }
        return names
    }
}
