import HooklineCore
import HooklineServer
import Testing

@Suite("HTTP answers")
struct HTTPAnswerTests {
    @Test("the 202 written straight into bytes is the JSON the value form writes, for any id")
    func acceptedBytes() throws {
        for id in ["evt_01M8145QAR9JKCDJG38QP2QN8K", "", "q\"uote\\back\u{1B}[2J"] {
            let direct = HTTPAnswer.accepted(eventID: id)
            let built = HTTPAnswer.status(202, "accepted", [("id", .string(id))])
            #expect(direct.status == 202)
            #expect(direct.json == built.json)
            guard case .encodedJSON(let bytes) = direct.body else {
                Issue.record("the 202 is not pre-encoded")
                continue
            }
            var expected = JSONWriter.bytes(try #require(built.json))
            expected.append(UInt8(ascii: "\n"))
            #expect(bytes == expected)
        }
    }
}
