import Foundation
import HooklineCore

/// The curl examples in the seed API pages (`Tests/HooklineCoreTests/Seeds/`).
struct SeedExample {
    let method: String
    /// The URL, when the example gives one (seed 002's does not).
    let url: String?
    let headers: [HeaderField]
    /// The `--data` body, minified with member order kept.
    let body: String

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Seeds")

    /// The first curl command in the seed page `name`.
    static func load(_ name: String) throws -> SeedExample {
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        guard let curlStart = text.range(of: "curl") else { throw SeedError("no curl command in \(name)") }
        let command = String(text[curlStart.lowerBound...])
        guard let dataStart = command.range(of: "--data '") else { throw SeedError("no --data in \(name)") }
        let afterData = command[dataStart.upperBound...]
        guard let dataEnd = afterData.range(of: "'") else { throw SeedError("unterminated --data in \(name)") }
        let head = command[..<dataStart.lowerBound]
        let method = try firstMatch(in: head, after: "--request ", upTo: [" ", "\n"])
        let explicitURL = try? firstMatch(in: head, after: "--url ", upTo: [" ", "\n"])
        let url = explicitURL ?? (try? firstMatch(in: head, after: "\(method) '", upTo: ["'"]))
        var headers: [HeaderField] = []
        var rest = head[...]
        while let start = rest.range(of: "--header ") {
            let afterHeader = rest[start.upperBound...]
            let quote = afterHeader.first ?? "'"
            let content = afterHeader.dropFirst()
            guard let end = content.firstIndex(of: quote) else { break }
            let field = content[..<end]
            if let colon = field.firstIndex(of: ":") {
                headers.append(HeaderField(name: String(field[..<colon]), value: String(field[field.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
            rest = content[content.index(after: end)...]
        }
        let minified = JSONWriter.string(try JSONParser.parse(String(afterData[..<dataEnd.lowerBound])))
        return SeedExample(method: method, url: url, headers: headers, body: minified)
    }

    private static func firstMatch(in text: Substring, after marker: String, upTo ends: [Character]) throws -> String {
        guard let start = text.range(of: marker) else { throw SeedError("no \(marker)") }
        let rest = text[start.upperBound...]
        let end = rest.firstIndex { ends.contains($0) } ?? rest.endIndex
        return String(rest[..<end]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
    }
}

struct SeedError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// No references learned, or a fixed set.
struct References: ReferenceLookup {
    var known: [String: String] = [:]
    func reference(target: String, key: String) -> String? { known["\(target)|\(key)"] }
}
