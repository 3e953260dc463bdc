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
}
