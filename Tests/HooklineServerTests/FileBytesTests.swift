import HooklineServer
import Testing

@Suite("reading files")
struct FileBytesTests {
    @Test("a missing file is an error naming the path and the reason")
    func missingFile() {
        let error = #expect(throws: FileError.self) { try FileBytes.read("/nonexistent/x.json") }
        #expect(error?.description == "cannot read /nonexistent/x.json: no such file or directory")
    }
}
