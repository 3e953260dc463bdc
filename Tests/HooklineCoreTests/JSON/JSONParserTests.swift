import HooklineCore
import Testing

@Suite("JSON parsing and writing")
struct JSONParserTests {
    @Test("members keep their order and numbers keep their spelling")
    func orderAndNumbers() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": 2279, "m": -0.5e10, "big": 123456789012345678901234567890}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "big"])
        #expect(value["a"] == .number("2279"))
        #expect(value["big"] == .number("123456789012345678901234567890"))
        #expect(JSONWriter.string(value) == #"{"z":1,"a":2279,"m":-0.5e10,"big":123456789012345678901234567890}"#)
    }

    @Test("an absent member differs from a null one")
    func absentIsNotNull() throws {
        let value = try JSONParser.parse(#"{"email": null}"#)
        #expect(value["email"] == .null)
        #expect(value["phone"] == nil)
    }

    @Test("escapes decode, including surrogate pairs, and round-trip")
    func escapes() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/d\n\t\u00e9\ud83d\ude00", "caf\u00E9"]"#)
        #expect(value == .array([.string("a\"b\\c/d\n\té😀"), .string("café")]))
        #expect(try JSONParser.parse(JSONWriter.bytes(value)) == value)
        #expect(JSONWriter.string(.string("\u{01}")) == #""\u0001""#)
    }

    @Test(
        "malformed input is refused with the byte offset",
        arguments: [
            ("", "malformed JSON at byte 0: the body is empty"),
            ("{", "malformed JSON at byte 1: unexpected end of input inside an object"),
            (#"{"a" 1}"#, "malformed JSON at byte 5: expected ':' after member name \"a\""),
            (#"{"a":1,}"#, "malformed JSON at byte 7: expected a member name in double quotes, found '}'"),
            ("[1 2]", "malformed JSON at byte 3: expected ',' or ']' in an array, found '2'"),
            ("01", "malformed JSON at byte 1: a number may not have a leading zero"),
            (#""abc"#, "malformed JSON at byte 0: unterminated string"),
            ("tru", "malformed JSON at byte 0: unexpected end of input, expected true"),
            ("{} x", "malformed JSON at byte 3: unexpected 'x' after the JSON value"),
            (#""\x""#, "malformed JSON at byte 2: invalid escape \\'x'"),
            ("\"\u{01}\"", "malformed JSON at byte 1: control character 0x01 must be escaped in a string"),
            (#""\ud83d""#, "malformed JSON at byte 7: a high surrogate \\u escape must be followed by a low surrogate"),
        ])
    func malformed(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError(offset: 1, problem: "the string starting here is not valid UTF-8")) {
            try JSONParser.parse([UInt8(ascii: "\""), 0xFF, 0xFE, UInt8(ascii: "\"")])
        }
    }

    @Test("nesting deeper than the limit is refused without exhausting the stack")
    func deepNesting() {
        let hostile = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(offset: 64, problem: "nested deeper than 64 levels")) { try JSONParser.parse(hostile) }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test("a member name repeated in one object is refused, with its offset, in small and large objects")
    func duplicateNames() {
        #expect(throws: JSONParseError(offset: 27, problem: #"duplicate member name "type" (each name may appear once in an object)"#)) {
            try JSONParser.parse(#"{"type":"contact.updated", "type":"contact.deleted"}"#)
        }
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: Never.self) { try JSONParser.parse("{\(many)}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\(many),\"k3\":0}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\(many),\"k39\":0}") }
        // The same name in different objects is fine.
        #expect(throws: Never.self) { try JSONParser.parse(#"{"id":1,"data":{"id":2,"company":{"id":3}}}"#) }
    }

    @Test("integers are written as Swift prints them, the extremes included")
    func writesIntegers() {
        for value in [0, 7, 10, -1, -10, 1_234_567, Int.max, Int.min] {
            var output: [UInt8] = Array("x".utf8)
            JSONWriter.writeInteger(value, into: &output)
            #expect(String(decoding: output, as: UTF8.self) == "x\(value)")
        }
    }

    @Test("escaped strings read back as themselves and hold no raw control character, over many mixes of the hard cases")
    func escapesRoundTrip() throws {
        let pieces: [String] = [
            "a", "plain text ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1B}[2J", "\u{7F}", "\u{80}", "\u{9B}", "\u{9F}", "\u{A0}",
            "\u{202E}", "\u{2028}", "\u{2029}", "\u{2066}", "\u{2030}", "é", "€", "日本", "🙂", "\u{C2}", "\u{E2}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            var output: [UInt8] = []
            JSONWriter.writeEscaped(text.utf8, into: &output)
            #expect(!output.contains { $0 < 0x20 || $0 == 0x7F }, "\(text.debugDescription)")
            let shown = String(decoding: output, as: UTF8.self)
            #expect(!shown.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || [0x2028, 0x2029, 0x202E, 0x2066].contains($0.value) })
            #expect(try JSONParser.parse(Array("\"".utf8) + output + Array("\"".utf8)) == .string(text), "\(text.debugDescription)")
        }
    }
}
