import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import NIOPosix
import Synchronization
import Testing

/// The transport's last-moment permission: asked on the connection's event loop, right before a
/// request's body is written.
@Suite("the transport's last check before a body goes out")
struct TargetTransportTests {
    static func update(_ name: String) -> TargetCall {
        TargetCall(
            method: "PUT", path: "/contacts/c_7f3a21", headers: [HeaderField(name: "X-Api-Key", value: "omni-key"), HeaderField(name: "Content-Type", value: "application/json")],
            body: Array(#"{"first_name":"\#(name)"}"#.utf8))
    }

    @Test("a refused permission sends no body: the target applies nothing, and the caller is told why; a write the lease no longer covered is known")
    func refused() async throws {
        let transport = TargetTransport(connectionsPerHost: 2, group: MultiThreadedEventLoopGroup.singleton)
        let result = await Result { try await Self.refused(through: transport) }
        // Whatever the body found: a client that is not shut down traps when it is released.
        try await transport.shutdown()
        try result.get()
    }

    static func refused(through transport: TargetTransport) async throws {
        try await withSandboxCRM { sandbox in
            let asked = Atomic<Int>(0)
            let refusal = CallPermission.expiring(left: .milliseconds(500), needed: .seconds(3))
            let result = await transport.send(
                Self.update("withheld"), url: "\(sandbox.baseURL)/omnichannel/contacts/c_7f3a21", timeout: .seconds(2),
                fence: CallFence(
                    permit: {
                        asked.add(1, ordering: .relaxed)
                        return refusal
                    }, covers: { true }))
            guard case .failure(.notPermitted(let permission)) = result else {
                Issue.record("a refused call was sent: \(result)")
                return
            }
            #expect(permission == refusal)
            #expect(asked.load(ordering: .relaxed) == 1)
            // A call that goes ahead on the same target is applied, and the withheld one never was.
            let granted = await transport.send(Self.update("sent"), url: "\(sandbox.baseURL)/omnichannel/contacts/c_7f3a21", timeout: .seconds(2), fence: CallFence(permit: { .granted }, covers: { true }))
            guard case .success(let response) = granted else {
                Issue.record("a permitted call failed: \(granted)")
                return
            }
            #expect(response.status == 200)
            // A write the lease no longer covered (asked right after the body's write) still went
            // out — nothing can take it back — and the fence says it went out late.
            let covers = Atomic<Int>(0)
            let late = CallFence(permit: { .granted }, covers: { covers.add(1, ordering: .relaxed).newValue > 1 })
            let answered = await transport.send(Self.update("late"), url: "\(sandbox.baseURL)/omnichannel/contacts/c_7f3a21", timeout: .seconds(2), fence: late)
            #expect((try? answered.get())?.status == 200)
            #expect(late.writtenLate, "the write the lease did not cover is known")
            #expect(covers.load(ordering: .relaxed) == 1, "asked once, after the body's write")
            let onTime = CallFence(permit: { .granted }, covers: { true })
            _ = await transport.send(Self.update("on time"), url: "\(sandbox.baseURL)/omnichannel/contacts/c_7f3a21", timeout: .seconds(2), fence: onTime)
            #expect(!onTime.writtenLate)
            let applied = sandbox.requests(pathPrefix: "/omnichannel/contacts/c_7f3a21").compactMap { $0.json?["first_name"]?.stringValue }
            #expect(applied == ["sent", "late", "on time"])
        }
    }
}
