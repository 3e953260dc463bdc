import Yams

/// A YAML mapping being read as one configuration section: knows its key path and file, so
/// every error names where it is; expands `${ENV}` in every scalar it hands out.
struct YAMLSection {
    let path: String
    let file: String
    let environment: [String: String]
    let line: Int?
    private let pairs: [(key: String, value: Node)]

    init(_ node: Node, path: String, file: String, environment: [String: String]) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(file: file, line: node.mark?.line, path: path, problem: "expected a mapping of keys to values")
        }
        var pairs: [(String, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw ConfigurationError(file: file, line: key.mark?.line, path: path, problem: "keys must be plain words")
            }
            pairs.append((scalar.string, value))
        }
        self.pairs = pairs
        self.path = path
        self.file = file
        self.environment = environment
        self.line = node.mark?.line
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String?, _ problem: String, node: Node? = nil) -> ConfigurationError {
        let valueLine = node?.mark?.line ?? key.flatMap { name in pairs.last { $0.key == name }?.value.mark?.line }
        return ConfigurationError(file: file, line: valueLine ?? line, path: key.map(childPath) ?? path, problem: problem)
    }

    /// Fails on the first key not in `allowed`, suggesting the closest one.
    func checkKeys(_ allowed: [String]) throws(ConfigurationError) {
        for (key, value) in pairs where !allowed.contains(key) {
            let hint = ConfigurationValues.suggestion(for: key, among: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            throw ConfigurationError(
                file: file, line: value.mark?.line ?? line, path: path.isEmpty ? key : "\(path).\(key)",
                problem: "unknown key '\(key)'\(hint); expected one of: \(allowed.joined(separator: ", "))")
        }
    }

    /// The node for `key`, treating YAML null (`~`, `null`, empty) as absent.
    func node(_ key: String) -> Node? {
        guard let node = pairs.last(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
            ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        {
            return nil
        }
        return node
    }

    func scalarText(_ node: Node, key: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(key, "expected a single value, not a list or mapping", node: node)
        }
        do {
            return try ConfigurationValues.expand(scalar.string, environment: environment)
        } catch {
            if error.name.hasPrefix("file:") {
                throw self.error(key, "cannot read the file \(error.name.dropFirst("file:".count)) (named by ${\(error.name)})", node: node)
            }
            throw self.error(key, "environment variable \(error.name) is not set", node: node)
        }
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = node(key) else { return nil }
        return try scalarText(node, key: key)
    }

    func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let value = try string(key), !value.isEmpty else { throw error(key, "required") }
        return value
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(node, key: key)
        guard let value = Int(text.replacingUnderscores()), range.contains(value) else {
            throw error(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'", node: node)
        }
        return value
    }

    /// `true`/`yes`/`on` or `false`/`no`/`off`, in any case.
    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(node, key: key)
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, got '\(text)'", node: node)
        }
    }

    func double(_ key: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(node, key: key)
        guard let value = Double(text), range.contains(value) else {
            throw error(key, "expected a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'", node: node)
        }
        return value
    }

    func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(node, key: key)
        guard let value = ConfigurationValues.duration(text) else {
            throw error(key, "expected a duration such as 500ms, 10s, 5m or 24h (at most 100 years), got '\(text)'", node: node)
        }
        return value
    }

    func size(_ key: String) throws(ConfigurationError) -> Int? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(node, key: key)
        guard let value = ConfigurationValues.size(text) else {
            throw error(key, "expected a size such as 1048576, 512KiB or 1MiB, got '\(text)'", node: node)
        }
        return value
    }

    /// A list of strings; a single string is a list of one.
    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = node(key) else { return nil }
        if case .sequence(let sequence) = node {
            var values: [String] = []
            for (index, element) in sequence.enumerated() {
                values.append(try scalarText(element, key: "\(key)[\(index)]"))
            }
            return values
        }
        return [try scalarText(node, key: key)]
    }

    func section(_ key: String) throws(ConfigurationError) -> YAMLSection? {
        guard let node = node(key) else { return nil }
        return try YAMLSection(node, path: childPath(key), file: file, environment: environment)
    }

    /// The mappings in a list, each with its indexed path.
    func sections(_ key: String) throws(ConfigurationError) -> [YAMLSection] {
        guard let node = node(key) else { return [] }
        guard case .sequence(let sequence) = node else {
            throw error(key, "expected a list (each item starting with '- ')", node: node)
        }
        var sections: [YAMLSection] = []
        for (index, element) in sequence.enumerated() {
            sections.append(try YAMLSection(element, path: "\(childPath(key))[\(index)]", file: file, environment: environment))
        }
        return sections
    }
}

extension String {
    /// `100_000` → `100000`, as YAML 1.1 allows.
    fileprivate func replacingUnderscores() -> String { filter { $0 != "_" } }
}
