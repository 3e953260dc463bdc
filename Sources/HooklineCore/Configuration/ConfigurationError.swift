/// A configuration problem, as one sentence naming the file, line and key.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// 1-based line of the offending node, when known.
    public let line: Int?
    /// The key path, like `sources[0].signature.scheme`.
    public let path: String
    public let problem: String

    public init(file: String, line: Int? = nil, path: String, problem: String) {
        self.file = file
        self.line = line
        self.path = path
        self.problem = problem
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(problem)" : "\(location): \(path): \(problem)"
    }
}
