import Foundation
import HooklineCore
import Testing

@Suite("hand-written formats against Foundation's")
struct FormatDifferentialTests {
    @Test("RFC 3339 writing and reading agree with ISO8601DateFormatter over 20,000 random instants")
    func rfc3339() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // 1970 to 2100, to the millisecond.
            let milliseconds = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let time = UnixTime(milliseconds: milliseconds)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(time.rfc3339 == formatter.string(from: date), "\(milliseconds)")
            #expect(UnixTime(rfc3339: formatter.string(from: date)) == time, "\(milliseconds)")
            let whole = UnixTime(seconds: time.seconds)
            let plain = ISO8601DateFormatter()
            #expect(UnixTime(rfc3339: plain.string(from: Date(timeIntervalSince1970: Double(whole.seconds)))) == whole)
        }
    }

    @Test("Base64 encoding and decoding agree with Foundation's over random bytes of every length to 300")
    func base64() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                let encoded = Base64.encode(bytes)
                #expect(encoded == Data(bytes).base64EncodedString())
                #expect(Base64.decode(encoded) == bytes)
                #expect(Data(base64Encoded: encoded).map([UInt8].init) == bytes)
            }
        }
    }

    /// Two differences are Hookline's on purpose: padding may be omitted (some senders strip
    /// it), and a final character with bits the bytes do not use is refused (it would give one
    /// signature two spellings). Everything else must match Foundation exactly.
    @Test("Base64 decodes random text as Foundation does, but for omitted padding and unused bits")
    func base64Invalid() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ *!".utf8)
        var agreed = 0
        for _ in 0..<20_000 {
            let text = String(decoding: (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? 0x41 }, as: UTF8.self)
            let ours = Base64.decode(text)
            let foundation = Data(base64Encoded: text).map([UInt8].init)
            if ours == foundation {
                agreed += 1
                continue
            }
            if let ours {
                // Accepted without its padding: Foundation reads the padded spelling alike.
                let bare = String(text.reversed().drop { $0 == "=" }.reversed())
                let padded = bare + String(repeating: "=", count: (4 - bare.utf8.count % 4) % 4)
                #expect(Data(base64Encoded: padded).map([UInt8].init) == ours, "\(text.debugDescription)")
            } else if let foundation {
                // Refused for unused bits: the canonical spelling of the same bytes differs.
                #expect(Base64.encode(foundation) != text && Base64.decode(Base64.encode(foundation)) == foundation, "\(text.debugDescription)")
            }
        }
        #expect(agreed > 15_000)
    }
}
