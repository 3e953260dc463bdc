import HooklineCore
import Testing

@Suite("JSON tape: reading fields without a tree")
struct JSONTapeTests {
    /// Calls `body` with the tape of `text`.
    func withTape<Result>(_ text: String, _ body: (JSONNode) throws -> Result) throws -> Result {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { buffer in try JSONTape.withParsed(buffer) { try body($0.get()) } }
    }

    @Test("members are found by name, escaped names included; kinds, strings and numbers read as written")
    func members() throws {
        try withTape(#"{"id": 2279, "na\u006De": "caf\u00e9", "tags": ["a", "b"], "none": null, "ok": true, "x": {"y": -1.5e3}}"#) { root in
            #expect(root.kind == .object)
            #expect(root.member("id")?.numberText == "2279")
            #expect(root.member("name")?.stringValue == "café")
            #expect(root.member("tags")?.elements.map { $0.stringValue } == ["a", "b"])
            #expect(root.member("none")?.isNull == true)
            #expect(root.member("ok")?.kind == .bool)
            #expect(root.member("x")?.member("y")?.numberText == "-1.5e3")
            #expect(root.member("missing") == nil)
            #expect(root.member("id")?.member("id") == nil)
            #expect(root.members.map(\.key) == ["id", "name", "tags", "none", "ok", "x"])
        }
    }

    @Test("the tree built from a tape is the tree of the text")
    func tree() throws {
        let text = #"{"a":[1,{"b":null,"c":[[],{}]},"\ud83d\ude00"],"d":false,"e":"\n"}"#
        let tree = try withTape(text) { $0.value }
        #expect(tree == .object(JSONObject([
            JSONObject.Member(key: "a", value: .array([.number("1"), .object(JSONObject([
                JSONObject.Member(key: "b", value: .null),
                JSONObject.Member(key: "c", value: .array([.array([]), .object(JSONObject())])),
            ])), .string("😀")])),
            JSONObject.Member(key: "d", value: .bool(false)),
            JSONObject.Member(key: "e", value: .string("\n")),
        ])))
    }

    @Test("a value knows its path, for error messages")
    func paths() throws {
        try withTape(#"{"data": {"phones": [{"kind": "mobile"}, {"kind": 5}], "x": 1}}"#) { root in
            let phones = root.member("data")?.member("phones")
            let second = phones.flatMap { Array($0.elements).last }
            #expect(second?.path == "data.phones[1]")
            #expect(second?.member("kind")?.path == "data.phones[1].kind")
            #expect(root.member("data")?.member("x")?.path == "data.x")
            #expect(root.path == "")
        }
    }

    @Test("names equal once unescaped are duplicates")
    func escapedDuplicates() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"name": 1, "na\u006de": 2}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"\u00e9": 1, "é": 2}"#) }
        #expect(throws: Never.self) { try JSONParser.parse(#"{"a\\": 1, "a\\\\": 2}"#) }
    }

    @Test("UTF-8 is validated as the standard library validates it, without making a String")
    func utf8Validation() {
        // Every one- and two-byte string, and three- and four-byte strings around the edges of
        // the encoding (overlong forms, surrogates, the last scalar and past it).
        var cases: [[UInt8]] = []
        for a in 0...255 {
            cases.append([UInt8(a)])
            for b in stride(from: 0, through: 255, by: 1) { cases.append([UInt8(a), UInt8(b)]) }
        }
        for lead in [0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5] as [UInt8] {
            for second in stride(from: 0x70, through: 0xC0, by: 0x0F) {
                for third in [0x7F, 0x80, 0xBF, 0xC0] as [UInt8] {
                    cases.append([lead, UInt8(second), third])
                    cases.append([lead, UInt8(second), third, 0x80])
                    cases.append([0x61, lead, UInt8(second), third, 0xBF])
                }
            }
        }
        var disagreements = 0
        for bytes in cases {
            let quoted = [UInt8(ascii: "\"")] + bytes.map { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 ? UInt8(ascii: "x") : $0 } + [UInt8(ascii: "\"")]
            let content = Array(quoted.dropFirst().dropLast())
            let expected = String(validating: content, as: UTF8.self) != nil
            let parsed = (try? JSONParser.parse(quoted)) != nil
            if expected != parsed { disagreements += 1 }
        }
        #expect(cases.count > 66_000)
        #expect(disagreements == 0)
    }

    @Test("every byte a string cannot take plainly is found at every offset of the eight-byte scan")
    func specialBytesAtEveryOffset() throws {
        for length in 0..<20 {
            for position in 0..<length {
                func text(_ middle: String) -> String {
                    String(repeating: "a", count: position) + middle + String(repeating: "b", count: length - position - 1)
                }
                let plain = text("c")
                #expect(try JSONParser.parse("\"\(plain)\"") == .string(plain))
                #expect(try JSONParser.parse("\"\(text("\\n"))\"") == .string(text("\n")))
                #expect(try JSONParser.parse("\"\(text("é"))\"") == .string(text("é")))
                #expect(
                    try JSONParser.parse("[\"\(text("\",\""))\"]")
                        == .array([.string(String(repeating: "a", count: position)), .string(String(repeating: "b", count: length - position - 1))]))
                for control in [0x00, 0x09, 0x1F] {
                    let bytes = Array("\"\(plain)\"".utf8)
                    var broken = bytes
                    broken[1 + position] = UInt8(control)
                    #expect(throws: JSONParseError(offset: 1 + position, problem: "control character 0x\(Hex.encode([UInt8(control)])) must be escaped in a string")) {
                        try JSONParser.parse(broken)
                    }
                }
                var invalid = Array("\"\(plain)\"".utf8)
                invalid[1 + position] = 0xFF
                #expect(throws: JSONParseError(offset: 1, problem: "the string starting here is not valid UTF-8")) { try JSONParser.parse(invalid) }
            }
        }
    }

    @Test("escaping bytes held in one buffer (eight at a time) writes what the byte-by-byte path writes, at every offset")
    func contiguousEscaping() {
        let hard: [[UInt8]] = [
            [0x22], [0x5C], [0x00], [0x0A], [0x1F], [0x7F], [0xC2, 0x80], [0xC2, 0x9F], [0xC2, 0xA0], [0xC2],
            [0xE2, 0x80, 0xAE], [0xE2, 0x80, 0xA8], [0xE2, 0x81, 0xA6], [0xE2, 0x82, 0xAC], [0xE2, 0x80], [0xC3, 0xA9], [0x20],
        ]
        var compared = 0
        for length in 0..<20 {
            for position in 0...length {
                for special in hard {
                    let bytes = Array(repeating: UInt8(ascii: "a"), count: position) + special + Array(repeating: UInt8(ascii: "b"), count: length - position)
                    var contiguous: [UInt8] = []
                    var byteByByte: [UInt8] = []
                    JSONWriter.writeEscaped(bytes, into: &contiguous)
                    JSONWriter.writeEscaped(bytes.lazy.map { $0 }, into: &byteByByte)
                    #expect(contiguous == byteByByte, "\(bytes)")
                    compared += 1
                }
            }
        }
        #expect(compared > 3_000)
    }

    @Test("a text with more entries than the stack holds moves them to the heap, as often as it fills, and reads the same")
    func beyondTheStack() throws {
        let numbers = (0..<5_000).map { String($0) }
        let tree = try JSONParser.parse("[" + numbers.joined(separator: ",") + "]")
        #expect(tree == .array(numbers.map { .number($0) }))
        let members = (0..<600).map { "\"k\($0)\":{\"v\":\"\($0)\"}" }.joined(separator: ",")
        try withTape("{" + members + "}") { root in
            #expect(root.members.map(\.key).count == 600)
            #expect(root.member("k599")?.member("v")?.stringValue == "599")
            #expect(root.member("k0")?.member("v")?.stringValue == "0")
            #expect(root.member("k300")?.path == "k300")
        }
    }
}
