import HooklineCore
import Testing

@Suite("what each CRM kind is, from its client")
struct TargetKindTests {
    @Test("each kind's client is its API's type, and states its options, secrets and default limit", arguments: TargetKind.allCases)
    func facts(kind: TargetKind) {
        let settings = TargetSettings(name: "t", kind: kind, baseURL: "https://crm.example")
        #expect(type(of: kind.client(settings)) == kind.api)
        #expect(kind.secretOptions.isSubset(of: Set(kind.requiredOptions + kind.optionalOptions)), "a secret is an option it takes")
        #expect(Set(kind.requiredOptions).isDisjoint(with: kind.optionalOptions))
    }

    @Test("whether a kind resolves thin deliveries follows from its client fetching contacts")
    func fetching() {
        #expect(TargetKind.allCases.filter(\.fetchesContacts) == [.buildr])
        #expect(TargetKind.buildr.defaultRateLimit == RateLimitSettings(requests: 10, period: .seconds(10), burst: 9))
        #expect(TargetKind.plannr.defaultRateLimit == RateLimitSettings(requests: 500, period: .seconds(60), burst: 1))
        #expect(TargetKind.omnichannel.defaultRateLimit == nil)
    }
}
