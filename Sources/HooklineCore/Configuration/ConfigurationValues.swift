/// Parsers for the value syntaxes configuration uses.
package enum ConfigurationValues {
    /// The longest duration configuration takes: a hundred years. Anything longer is a typo, and
    /// deadlines are clock readings in nanoseconds plus a duration, added with wrapping
    /// arithmetic: a duration near `Int64.max` nanoseconds would wrap into the past.
    package static let longestDuration = Duration.seconds(100 * 365 * 86_400)

    /// `250ms`, `10s`, `5m`, `2h`, `1d`, or a bare number of seconds; nil when malformed or
    /// longer than `longestDuration`.
    package static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        // `ms` comes before `s` and `m`, so the first suffix that matches is the unit.
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var number = Substring(trimmed), millis = 1000.0
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            millis = scale
            break
        }
        guard let value = Double(number), let milliseconds = whole(value, times: millis),
            milliseconds <= longestDuration.wholeMilliseconds
        else { return nil }
        return .milliseconds(milliseconds)
    }

    /// `1048576`, `512KiB`, `1MiB`, `2GiB` (also `KB`/`MB`/`GB` as powers of 1000); nil when
    /// malformed or beyond what a 64-bit integer holds.
    package static func size(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count).trimmingWhitespace()) else { return nil }
            return whole(value, times: Double(scale)).flatMap { Int(exactly: $0) }
        }
        return Int(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `value × scale` rounded toward zero, or nil when it is negative, not a number, or too
    /// large for an `Int64` (a conversion that would trap).
    private static func whole(_ value: Double, times scale: Double) -> Int64? {
        let product = value * scale
        guard product.isFinite, product >= 0, product < 0x1p63 else { return nil }
        return Int64(product)
    }

    /// Expands `${NAME}` and `${NAME:-default}` from `environment`; throws the missing name.
    package static func expand(_ text: String, environment: [String: String]) throws(MissingVariable) -> String {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                output += rest[start.lowerBound...]
                return output
            }
            let reference = rest[start.upperBound..<end]
            let parts = reference.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = environment[name], !value.isEmpty {
                output += value
            } else if parts.count == 2 {
                output += parts[1]
            } else {
                throw MissingVariable(name: name)
            }
            rest = rest[rest.index(after: end)...]
        }
        output += rest
        return output
    }

    /// An environment variable a configuration refers to but the process lacks.
    package struct MissingVariable: Error, Sendable, Hashable {
        package let name: String
    }

    /// The candidate closest to `word` by edit distance, if it is a plausible typo.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}

extension Duration {
    /// The duration as configuration writes it: `500ms`, `30s`, `5m`, `2h`, `1d`.
    package var configurationText: String {
        let milliseconds = wholeMilliseconds
        for (suffix, unit) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds >= unit && milliseconds % unit == 0 {
            return "\(milliseconds / unit)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
