import HooklineCore
import HooklineServer
import NIOCore
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
            guard case .accepted = direct.body else {
                Issue.record("the 202 is not written straight into the response")
                continue
            }
            var written = ByteBuffer()
            var value = ByteBuffer()
            #expect(direct.writeBody(into: &written) == "application/json")
            #expect(built.writeBody(into: &value) == "application/json")
            #expect(written == value)
            #expect(try JSONParser.parse(Array(written.readableBytesView)) == built.json)
        }
    }
}
