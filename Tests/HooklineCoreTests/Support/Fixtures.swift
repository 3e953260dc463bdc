import Foundation
import HooklineCore

/// Reads files from the repository's `Fixtures/` folder.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func decode(_ path: String, as kind: String? = nil, context: MessageContext = MessageContext()) throws -> DecodedMessage {
        let source = kind ?? String(path.split(separator: "/")[0])
        guard let decoder = SourceKind(rawValue: source) else {
            throw MessageDecodeError(field: "", problem: "no decoder for \(source)")
        }
        return try decoder.decode(bytes: try bytes(path), context: context)
    }

    /// Every fixture path under a folder, sorted.
    static func paths(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            .sorted().map { "\(folder)/\($0)" }
    }
}

extension DecodedMessage {
    var contactMessage: ContactMessage? {
        if case .contact(let message) = self { return message }
        return nil
    }
}
