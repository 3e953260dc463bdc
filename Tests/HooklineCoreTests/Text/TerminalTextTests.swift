import HooklineCore
import Testing

@Suite("text printed on an operator's terminal")
struct TerminalTextTests {
    @Test("screen clears, colour codes, CR/LF, C1 controls and bidi overrides are shown, not obeyed")
    func escapes() {
        #expect(TerminalText.escaping("c_1\u{1B}[2J\u{1B}[31mred") == "c_1\\e[2J\\e[31mred")
        #expect(TerminalText.escaping("a\r\nfake line") == "a\\r\\nfake line")
        #expect(TerminalText.escaping("tab\there\u{07}\u{7F}") == "tab\\there\\x07\\x7f")
        #expect(TerminalText.escaping("\u{9B}2J osc\u{9D}") == "\\u{9b}2J osc\\u{9d}")
        #expect(TerminalText.escaping("abc\u{202E}fed\u{2066}x\u{2028}") == "abc\\u{202e}fed\\u{2066}x\\u{2028}")
    }

    @Test("ordinary text, accents and emoji pass unchanged")
    func plain() {
        for text in ["c_7f3a21", "Ünïcødé café", "😀 evt_01M8", "a\\nb literal backslash", ""] {
            #expect(TerminalText.escaping(text) == text)
        }
    }

    @Test("JSON strings escape DEL, C1 and bidi characters; the value round-trips exactly")
    func jsonWriter() throws {
        let hostile = "id\u{1B}[2J\u{7F}\u{85}\u{9B}\u{202E}\u{2069}\u{200F}é😀\u{2027}\u{2030}"
        let bytes = JSONWriter.bytes(.string(hostile))
        #expect(String(decoding: bytes, as: UTF8.self) == #""id\u001b[2J\u007f\u0085\u009b\u202e\u2069\u200fé😀‧‰""#)
        #expect(try JSONParser.parse(bytes) == .string(hostile))
        #expect(!bytes.contains(0x1B) && !bytes.contains(0x7F))
    }

    @Test("an audit line with raw C1 and DEL bytes (an older writer) becomes the same JSON, terminal-safe")
    func safeLine() throws {
        let raw = Array(#"{"ts":"2026-11-22T07:57:46.200Z","outcome":"received","contact":"x"#.utf8) + [0x7F, 0xC2, 0x9B] + Array("\u{202E}é\"}".utf8)
        let safe = TerminalText.safeJSONLine(raw)
        #expect(String(decoding: safe, as: UTF8.self) == #"{"ts":"2026-11-22T07:57:46.200Z","outcome":"received","contact":"x\u007f\u009b\u202eé"}"#)
        #expect(try JSONParser.parse(safe) == JSONParser.parse(raw))
        let clean = Array(#"{"outcome":"applied","contact":"café"}"#.utf8)
        #expect(TerminalText.safeJSONLine(clean) == clean)
    }
}
