import Foundation
import HooklineCore
import Testing

/// `JSONParser` against JSONTestSuite's parsing cases (`JSONTestSuite/README.md`).
@Suite("JSON parsing, against JSONTestSuite")
struct JSONTestSuiteTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("JSONTestSuite")

    static func cases(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: folder.appendingPathComponent(name))) }

    /// Accepted by the suite, refused by Hookline on purpose: a name repeated in one object is
    /// read differently by different parsers (first wins, last wins), so Hookline takes neither.
    static let refusedOnPurpose: Set<String> = ["y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json"]

    @Test("the suite is all here: 95 must-accept, 186 must-reject and 34 either-way cases")
    func complete() {
        #expect(Self.cases("y_").count == 95)
        #expect(Self.cases("n_").count == 186)
        #expect(Self.cases("i_").count == 34)
        #expect(Set(Self.implementationDefined.keys) == Set(Self.cases("i_")))
    }

    @Test("every y_ case parses, but for a repeated member name", arguments: cases("y_"))
    func accepts(name: String) throws {
        let bytes = try Self.bytes(name)
        if Self.refusedOnPurpose.contains(name) {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
            return
        }
        #expect(throws: Never.self, "\(name)") { try JSONParser.parse(bytes) }
    }

    @Test("every n_ case is refused with an error, never a crash", arguments: cases("n_"))
    func rejects(name: String) throws {
        let bytes = try Self.bytes(name)
        #expect(throws: JSONParseError.self, "\(name)") { try JSONParser.parse(bytes) }
    }

    /// What Hookline does with each implementation-defined case, so a change is noticed.
    static let implementationDefined: [String: Bool] = [
        "i_number_double_huge_neg_exp.json": true, "i_number_huge_exp.json": true, "i_number_neg_int_huge_exp.json": true,
        "i_number_pos_double_huge_exp.json": true, "i_number_real_neg_overflow.json": true, "i_number_real_pos_overflow.json": true,
        "i_number_real_underflow.json": true, "i_number_too_big_neg_int.json": true, "i_number_too_big_pos_int.json": true,
        "i_number_very_big_negative_int.json": true, "i_object_key_lone_2nd_surrogate.json": false,
        "i_string_1st_surrogate_but_2nd_missing.json": false, "i_string_1st_valid_surrogate_2nd_invalid.json": false,
        "i_string_UTF-16LE_with_BOM.json": false, "i_string_UTF-8_invalid_sequence.json": false,
        "i_string_UTF8_surrogate_U+D800.json": false, "i_string_incomplete_surrogate_and_escape_valid.json": false,
        "i_string_incomplete_surrogate_pair.json": false, "i_string_incomplete_surrogates_escape_valid.json": false,
        "i_string_invalid_lonely_surrogate.json": false, "i_string_invalid_surrogate.json": false, "i_string_invalid_utf-8.json": false,
        "i_string_inverted_surrogates_U+1D11E.json": false, "i_string_iso_latin_1.json": false, "i_string_lone_second_surrogate.json": false,
        "i_string_lone_utf8_continuation_byte.json": false, "i_string_not_in_unicode_range.json": false,
        "i_string_overlong_sequence_2_bytes.json": false, "i_string_overlong_sequence_6_bytes.json": false,
        "i_string_overlong_sequence_6_bytes_null.json": false, "i_string_truncated-utf-8.json": false, "i_string_utf16BE_no_BOM.json": false,
        "i_string_utf16LE_no_BOM.json": false, "i_structure_UTF-8_BOM_empty_object.json": false,
    ]

    @Test("every i_ case is accepted or refused as recorded: numbers kept as text, bad Unicode and a BOM refused", arguments: cases("i_"))
    func implementationDefinedCase(name: String) throws {
        let accepted = (try? JSONParser.parse(try Self.bytes(name))) != nil
        #expect(Self.implementationDefined[name] == accepted, "\(name): \(accepted ? "accepted" : "refused")")
    }
}
