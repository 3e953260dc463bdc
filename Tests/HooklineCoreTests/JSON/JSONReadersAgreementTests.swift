import Foundation
import HooklineCore
import Testing

/// The three readers of JSON bytes — `JSONParser` (the full parse, which `JSONFieldReader`
/// reads the decoders' fields from), and `AuditLineScanner` (recovery's fast reader of audit
/// lines) — agree on every value they both read.
@Suite("the JSON readers agree")
struct JSONReadersAgreementTests {
    static let prefix = #"{"ts":"2026-11-22T08:00:00.000Z","outcome":"received","event":"e1","#

    /// The scanner's reading of a line, and the full parser's.
    static func readings(_ line: [UInt8]) -> (scanned: AuditLineSummary?, parsed: AuditLineSummary?) {
        (AuditLineScanner.scan(line), (try? AuditRecord(jsonLine: line)).map(AuditLineSummary.init))
    }

    @Test("a JSONTestSuite case in a field the scanner reads (targets) is read alike, or refused by both", arguments: JSONTestSuiteTests.cases(""))
    func extractedField(name: String) throws {
        let line = Array(Self.prefix.utf8) + Array(#""targets":"#.utf8) + (try JSONTestSuiteTests.bytes(name)) + Array("}".utf8)
        let (scanned, parsed) = Self.readings(line)
        #expect(scanned == parsed, "\(name): scanner \(String(describing: scanned?.targets)), parser \(String(describing: parsed?.targets))")
    }

    @Test("a JSONTestSuite case as an id (event) is read alike, or refused by both", arguments: JSONTestSuiteTests.cases("").filter { $0.contains("string") })
    func extractedString(name: String) throws {
        var content = try JSONTestSuiteTests.bytes(name)
        // The string cases are `["…"]`: take the bracketed value out.
        while content.last == 0x0A || content.last == 0x20 { content.removeLast() }
        guard content.first == UInt8(ascii: "["), content.last == UInt8(ascii: "]") else { return }
        let value = content.dropFirst().dropLast()
        let line = Array(#"{"ts":"2026-11-22T08:00:00.000Z","outcome":"applied","target":"t","event":"#.utf8) + value + Array("}".utf8)
        let (scanned, parsed) = Self.readings(line)
        #expect(scanned == parsed, "\(name): scanner \(String(describing: scanned?.event)), parser \(String(describing: parsed?.event))")
    }

    @Test("a valid value the scanner skips (payload-like) never stops it reading the line", arguments: JSONTestSuiteTests.cases("y_").filter { !JSONTestSuiteTests.refusedOnPurpose.contains($0) })
    func skippedValue(name: String) throws {
        let line = Array(Self.prefix.utf8) + Array(#""extra":"#.utf8) + (try JSONTestSuiteTests.bytes(name)) + Array(#","targets":["a"]}"#.utf8)
        let (scanned, parsed) = Self.readings(line)
        #expect(scanned != nil, "\(name)")
        #expect(scanned == parsed, "\(name)")
    }

    @Test("every fixture, as a received line Hookline writes, is read back alike — ids as its decoder read them")
    func fixturesAsLines() throws {
        var checked = 0
        for folder in ["standard", "buildr", "plannr"] {
            for path in try Fixtures.paths(in: folder) {
                guard case .contact(let message) = try Fixtures.decode(path) else { continue }
                let record = AuditRecord(
                    ts: UnixTime(milliseconds: 1_795_330_000_000), outcome: .received, event: "evt_\(checked)", message: message.messageID,
                    source: folder, type: message.type, contact: message.contactID, targets: ["a", "b"], payload: try Fixtures.bytes(path))
                let line = Array(record.jsonLine.dropLast())
                let (scanned, parsed) = Self.readings(line)
                #expect(scanned == parsed, "\(path)")
                #expect(scanned?.message == message.messageID, "\(path)")
                #expect(try AuditRecord(jsonLine: line).contact == message.contactID)
                checked += 1
            }
        }
        #expect(checked >= 10)
    }

    @Test("lines with every kind of character in every field the scanner reads are read alike")
    func awkwardLines() throws {
        let awkward = ["plain", "quote \" and \\ backslash", "tab\tnewline\ncr\r", "é ✓ 𝄞", "\u{1}\u{1F}\u{7F}", "\u{202E}rtl", "", "/..%2e"]
        var generator = SystemRandomNumberGenerator()
        for text in awkward {
            let record = AuditRecord(
                ts: UnixTime(milliseconds: Int64.random(in: 0...4_102_444_800_000, using: &generator)), outcome: .created, event: text,
                message: text, source: text, target: text, targets: [text, text], attempt: Int.random(in: 0...1000, using: &generator),
                ref: text, refKey: text, error: text, payload: Array(text.utf8))
            let line = Array(record.jsonLine.dropLast())
            let (scanned, parsed) = Self.readings(line)
            #expect(scanned != nil && scanned == parsed, "\(text.debugDescription)")
        }
    }
}
