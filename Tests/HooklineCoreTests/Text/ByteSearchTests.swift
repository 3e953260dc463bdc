import HooklineCore
import Testing

@Suite("Finding bytes in a line")
struct ByteSearchTests {
    @Test("at the start, the end, after a partial match, absent, longer than the line; arrays, slices and other collections agree")
    func cases() {
        let needle = Array(#""contact":"144""#.utf8)
        let cases: [(String, Bool)] = [
            (#""contact":"144","x":1"#, true), (#"{"a":1,"contact":"144""#, true), (#"{"contact":"14","contact":"144"}"#, true),
            (#"{"contact":"1445"}"#, false), (#"{"contact":"145"}"#, false), (#""contact":"14"#, false), ("", false),
        ]
        for (text, expected) in cases {
            let bytes = Array(text.utf8)
            #expect(bytes.containsBytes(needle) == expected, "\(text)")
            #expect(bytes[...].containsBytes(needle) == expected, "\(text)")
            #expect(AnyCollection(bytes).containsBytes(needle) == expected, "\(text)")
        }
        #expect(!Array("abc".utf8).containsBytes([]))
    }
}
