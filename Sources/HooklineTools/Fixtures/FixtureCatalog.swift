import HooklineCore
import HooklineServer

/// The fixtures in a `Fixtures/` folder and what Hookline answers for each, read from its
/// `manifest.json`.
package struct FixtureCatalog: Sendable {
    /// One fixture body and its documented answer.
    package struct Fixture: Sendable, Hashable {
        /// Path under the fixtures folder, e.g. `buildr/contact-update-thin.json`.
        package var path: String
        /// The source it is delivered to (its folder, unless the manifest says otherwise).
        package var source: String
        package var answer: Int
        /// The expected JSON `status` (`accepted`, `ignored`, …), if any.
        package var status: String?
        /// The expected start of the JSON `error`, if any.
        package var error: String?
        /// The terminal outcome expected at each target under `hookline demo`.
        package var outcomes: [String: String]
        /// The bytes, exactly as a sender delivers them.
        package var body: [UInt8]
    }

    package let root: String
    package let fixtures: [Fixture]

    /// Reads `root/manifest.json` and every fixture it lists.
    package init(root: String) throws {
        self.root = root
        let manifest = try JSONParser.parse(try FileBytes.read("\(root)/manifest.json"))
        guard let entries = manifest["fixtures"]?.objectValue else {
            throw FileError(path: "\(root)/manifest.json", operation: "read", reason: "no fixtures object")
        }
        var fixtures: [Fixture] = []
        for entry in entries {
            let folder = String(entry.key.split(separator: "/").first ?? "")
            fixtures.append(
                Fixture(
                    path: entry.key,
                    source: entry.value["source"]?.stringValue ?? folder,
                    answer: entry.value["answer"]?.intValue ?? 202,
                    status: entry.value["status"]?.stringValue,
                    error: entry.value["error"]?.stringValue,
                    outcomes: (entry.value["outcomes"]?.objectValue?.members ?? []).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue },
                    body: try FileBytes.read("\(root)/\(entry.key)")))
        }
        self.fixtures = fixtures
    }

    /// The repository's own `Fixtures/` folder: `./Fixtures` if present, else the one beside
    /// the sources this binary was built from.
    package static func locateDefault(filePath: String = #filePath) -> String? {
        var candidates = ["Fixtures"]
        var components = filePath.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 4 {
            components.removeLast(4)
            candidates.append(components.joined(separator: "/") + "/Fixtures")
        }
        return candidates.first { SystemCalls.exists("\($0)/manifest.json") }
    }
}
