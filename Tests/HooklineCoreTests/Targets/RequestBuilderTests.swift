import HooklineCore
import Testing

@Suite("target request builders, against the seed examples byte for byte")
struct RequestBuilderTests {
    static let buildr = BuildrContactsClient(
        settings: TargetSettings(
            name: "buildr", kind: .buildr, baseURL: "https://api.buildr.com/api/2023-01",
            options: ["token_url": "https://api.buildr.com/oauth/token", "client_id": "cid", "client_secret": "csecret"]))
    static let plannr = PlannrContactDetailsClient(
        settings: TargetSettings(
            name: "plannr", kind: .plannr, baseURL: "https://api.plannrcrm.com/api/v2",
            options: ["token": "ACCESS_TOKEN", "account_uuid": "{YOUR_PLANNR_ACCOUNT_UUID}"]))
    static let omnichannel = OmnichannelContactsClient(
        settings: TargetSettings(name: "omni", kind: .omnichannel, baseURL: "https://omni.example/v1", options: ["api_key": "k-123"]))

    static func calls(_ plan: TargetPlan) -> [TargetCall] {
        if case .calls(let calls) = plan { return calls }
        return []
    }

    @Test("only Plannr learns ids from its calls, so only its jobs (and mapping routes) read learned ids from the store")
    func learnsReferences() {
        #expect(Self.plannr.learnsReferences)
        #expect(!Self.buildr.learnsReferences)
        #expect(!Self.omnichannel.learnsReferences)
        #expect(NoReferences().reference(target: "plannr", key: "anything") == nil)
    }

    @Test("Buildr: the full webhook fixture becomes seed 004's PATCH exactly")
    func buildrPatch() throws {
        let seed = try SeedExample.load("buildr-update-contact.txt")
        let message = try #require(try Fixtures.decode("buildr/contact-update-full.json").contactMessage)
        let change = TargetChange(kind: .updated, patch: try #require(message.contact.patch), contactID: "144", sourceContactID: "144", source: "buildr")
        let call = try #require(Self.calls(Self.buildr.plan(change, references: References())).first)
        let authorized = Self.buildr.authorize(call, token: "<authorization>")

        #expect(authorized.method == seed.method)
        #expect(Self.buildr.url(for: authorized) == seed.url?.replacingOccurrences(of: "{id}", with: "144"))
        #expect(authorized.bodyText == seed.body)
        #expect(authorized.headers == [HeaderField(name: "Authorization", value: "Bearer <authorization>"), HeaderField(name: "Content-Type", value: "application/json")])
        #expect(seed.headers.map(\.name) == authorized.headers.map(\.name))
    }

    @Test("Buildr: only the fields the event carries are sent; null clears")
    func buildrPartial() throws {
        let patch = ContactPatch(email: .set("new@example.com"), jobTitle: .clear)
        let call = try #require(Self.calls(Self.buildr.plan(TargetChange(kind: .updated, patch: patch, contactID: "144", sourceContactID: "x", source: "s"), references: References())).first)
        #expect(call.bodyText == #"{"contact":{"email":"new@example.com","job_title":null}}"#)
        #expect(call.path == "/contacts/144")
    }

    @Test("Buildr: deletes and changes with no Buildr field send nothing")
    func buildrNothing() {
        #expect(Self.buildr.plan(TargetChange(kind: .deleted, patch: ContactPatch(email: .set("a@b.c")), contactID: "1", sourceContactID: "1", source: "s"), references: References())
            == .nothing(reason: "Buildr's API has no contact delete; deletes are not applied"))
        #expect(Self.buildr.plan(TargetChange(kind: .updated, patch: ContactPatch(language: .set("en")), contactID: "1", sourceContactID: "1", source: "s"), references: References())
            == .nothing(reason: "no field Buildr stores was in the event"))
    }

    @Test("Buildr: the token request is a client-credentials form post; the token is cached until just before expiry")
    func buildrToken() throws {
        let request = try #require(Self.buildr.tokenRequest)
        #expect(request.url == "https://api.buildr.com/oauth/token")
        #expect(request.call.method == "POST")
        #expect(request.call.bodyText == "grant_type=client_credentials&client_id=cid&client_secret=csecret&scope=read%20write")
        let now = MonotonicTime(nanoseconds: 1_000_000_000_000)
        let token = Self.buildr.token(from: TargetResponse(status: 200, body: Array(#"{"access_token":"tok","token_type":"Bearer","expires_in":3600,"scope":"read write"}"#.utf8)), now: now)
        #expect(token == AccessToken(value: "tok", expiresAt: now + .seconds(3540)))
        #expect(Self.buildr.token(from: TargetResponse(status: 401, body: []), now: now) == nil)
    }

    @Test("Buildr: GET resolves a thin delivery into the same patch a full one carries")
    func buildrFetch() throws {
        let call = try Self.buildr.fetchCall(contactID: "2279").get()
        #expect(call.summary == "GET /contacts/2279")
        let body = Array(#"{"contact":{"id":"2279","email":"x@example.com","first_name":"Ann","company":{"id":"101","name":"Co"}}}"#.utf8)
        let patch = try Self.buildr.patch(fromFetched: TargetResponse(status: 200, body: body))
        #expect(patch.email == .set("x@example.com"))
        #expect(patch.companyID == .set("101"))
    }

    @Test("Plannr: seed 001's POST body and headers, byte for byte")
    func plannrCreateSeed() throws {
        let seed = try SeedExample.load("plannr-create-contact-detail.txt")
        let body = PlannrContactDetailsClient.createBody(
            type: "phone_number", name: "Work phone number", value: "+443330903630", isPrimary: true,
            accountUUIDs: ["eb9aa305-ed3b-49cb-99e1-f48dab69c0e3", "6b2af2f3-4486-4692-8e2b-0da3bcf5fd1d"],
            primaryAccountUUIDs: ["9d505c60-6c5a-42a0-8527-cc1777566e7c", "53518fe7-c0d1-4026-aec8-f47adba2923d"])
        #expect(String(decoding: body, as: UTF8.self) == seed.body)
        #expect(seed.method == "POST")
        #expect(seed.url == "https://api.plannrcrm.com/api/v2/contact-details")

        let authorized = Self.plannr.authorize(TargetCall(method: "POST", path: "/contact-details", body: body), token: nil)
        #expect(Self.plannr.url(for: authorized) == seed.url)
        // The seed shows Authorization, Content-Type and X-PLANNR-ACCOUNT-UUID; the API facts add Accept.
        for header in seed.headers {
            let sent = authorized.headers.first { $0.name == header.name }?.value
            #expect(sent == header.value.replacingOccurrences(of: "$ACCESS_TOKEN", with: "ACCESS_TOKEN"), "\(header.name)")
        }
        #expect(authorized.headers.contains(HeaderField(name: "Accept", value: "application/json")))
    }

    @Test("Plannr: seed 000's and seed 002's PUT bodies, byte for byte")
    func plannrUpdateSeeds() throws {
        let seed = try SeedExample.load("plannr-update-contact-detail.txt")
        let body = PlannrContactDetailsClient.updateBody(
            name: "Work phone number", value: "+44751488454",
            accountUUIDs: ["ca4c0830-f7f6-4377-ad59-166dd85ae95d", "665f5bd0-4c19-40d1-8c1d-b2a2c7a4cb06", "bcdd53d4-1226-4ee0-afb2-a774006e5eef"],
            primaryAccountUUIDs: ["3fa43d09-0a4d-47c7-ba85-8f867961908a", "4c07692f-97a0-4dbf-b694-7ef7d9cd0870", "f7263481-96fd-41cd-8c9c-2222f4542931"])
        #expect(String(decoding: body, as: UTF8.self) == seed.body)
        #expect(seed.method == "PUT")
        #expect(seed.url == "https://api.plannrcrm.com/api/v2/contact-details/6ff8f7f6-1eb3-3525-be4a-3932c805afed")

        let second = try SeedExample.load("plannr-update-contact-detail-2.txt")
        let secondBody = PlannrContactDetailsClient.updateBody(
            name: "Work phone number", value: "+443330903630",
            accountUUIDs: ["fef3af97-3ffa-4679-8eac-28eb5389c4f4", "b80bea4f-8f90-4ee7-9356-307c44f401b1"], primaryAccountUUIDs: nil)
        #expect(String(decoding: secondBody, as: UTF8.self) == second.body)
    }

    @Test("Plannr: an unknown detail is POSTed and learned; a known one is PUT to its uuid")
    func plannrPlan() throws {
        let account = "73b5cb71-6779-40a9-9ddc-33b16ada4da6"
        let patch = ContactPatch(email: .set("g@example.com"), mobilePhone: .set(PhoneNumber(number: "+61 2 3456 7890", country: "AU")))
        let change = TargetChange(kind: .updated, patch: patch, contactID: account, sourceContactID: "144", source: "buildr")

        let fresh = Self.calls(Self.plannr.plan(change, references: References()))
        #expect(fresh.map(\.summary) == ["POST /contact-details", "POST /contact-details"])
        #expect(fresh[0].learns == "\(account)/email")
        #expect(fresh[0].bodyText == #"{"type":"email","name":"Email","value":"g@example.com","is_primary":true,"account_uuids":["\#(account)"],"primary_account_uuids":["\#(account)"]}"#)
        #expect(fresh[1].bodyText == #"{"type":"phone_number","name":"Mobile","value":{"country":"AU","number":"+61 2 3456 7890"},"is_primary":true,"account_uuids":["\#(account)"],"primary_account_uuids":["\#(account)"]}"#)

        let known = Self.calls(Self.plannr.plan(change, references: References(known: ["plannr|\(account)/email": "dba3e759-bab7-4ce4-8370-d661a492992b"])))
        #expect(known[0].summary == "PUT /contact-details/dba3e759-bab7-4ce4-8370-d661a492992b")
        #expect(known[0].learns == nil)
        #expect(known[0].bodyText == #"{"name":"Email","value":"g@example.com","account_uuids":["\#(account)"],"primary_account_uuids":["\#(account)"]}"#)
    }

    @Test("Plannr: a GB phone is a plain string; an office phone is not primary")
    func plannrPhones() throws {
        let patch = ContactPatch(officePhone: .set(PhoneNumber(number: "+443330903630", country: "GB")))
        let account = "73b5cb71-6779-40a9-9ddc-33b16ada4da6"
        let call = try #require(Self.calls(Self.plannr.plan(TargetChange(kind: .updated, patch: patch, contactID: account, sourceContactID: "1", source: "s"), references: References())).first)
        #expect(call.bodyText == #"{"type":"phone_number","name":"Work phone number","value":"+443330903630","is_primary":false,"account_uuids":["\#(account)"]}"#)
    }

    @Test("Plannr: a created detail's uuid is learned from the 201; a 201 without one fails")
    func plannrLearns() {
        let call = TargetCall(method: "POST", path: "/contact-details", learns: "a/email")
        let created = TargetResponse(status: 201, body: Array(#"{"name":"Email","type":"email","uuid":"f36a95cd-7ddf-4fde-a9cb-304db100c6eb"}"#.utf8))
        #expect(Self.plannr.classify(created, to: call) == .success(learned: LearnedReference(key: "a/email", id: "f36a95cd-7ddf-4fde-a9cb-304db100c6eb")))
        guard case .permanent = Self.plannr.classify(TargetResponse(status: 201, body: Array("{}".utf8)), to: call) else {
            Issue.record("a 201 without uuid was accepted")
            return
        }
    }

    @Test("the X-Api-Key API: PUT by the source id with only the carried fields")
    func omnichannel() throws {
        let message = try #require(try Fixtures.decode("standard/contact-created.json").contactMessage)
        let change = TargetChange(kind: .created, patch: try #require(message.contact.patch), contactID: "c_7f3a21", sourceContactID: "c_7f3a21", source: "standard")
        let call = Self.omnichannel.authorize(try #require(Self.calls(Self.omnichannel.plan(change, references: References())).first), token: nil)
        #expect(call.summary == "PUT /contacts/c_7f3a21")
        #expect(Self.omnichannel.url(for: call) == "https://omni.example/v1/contacts/c_7f3a21")
        #expect(call.headers.first == HeaderField(name: "X-Api-Key", value: "k-123"))
        #expect(call.bodyText == #"{"first_name":"Priya","last_name":"Raman","email":"priya.raman@example.com","phone":"+44 7700 900123","company_name":"Raman Architects","country_code":"GB","language":"en"}"#)
    }

    @Test(
        "responses are classified: 2xx applied, 408/425/429/5xx retried, other 4xx permanent",
        arguments: [
            (200, "success"), (204, "success"), (408, "retry"), (425, "retry"), (429, "retry"), (500, "retry"), (503, "retry"),
            (400, "permanent"), (403, "permanent"), (404, "permanent"), (422, "permanent"),
        ])
    func classification(status: Int, expected: String) {
        let verdict = Self.omnichannel.classify(TargetResponse(status: status), to: TargetCall(method: "PUT", path: "/contacts/1"))
        let kind: String =
            switch verdict {
            case .success: "success"
            case .retry: "retry"
            case .permanent: "permanent"
            case .refreshCredentials: "refresh"
            }
        #expect(kind == expected)
    }

    @Test("Buildr's 429 waits X-Rate-Limited-For; its 401 asks for a token refresh")
    func buildrClassification() {
        let call = TargetCall(method: "PATCH", path: "/contacts/1")
        let limited = TargetResponse(status: 429, headers: [HeaderField(name: "X-Rate-Limited-For", value: "2")], body: Array(#"{"error":"rate_limit_exceeded"}"#.utf8))
        #expect(Self.buildr.classify(limited, to: call) == .retry(after: .seconds(2), reason: "HTTP 429: rate_limit_exceeded"))
        #expect(Self.buildr.classify(TargetResponse(status: 401), to: call) == .refreshCredentials)
    }

    @Test("error excerpts read Laravel-style errors and never repeat a secret")
    func excerpts() {
        let body = Array(#"{"message":"The given data was invalid.","errors":{"value":["The value must be a string."],"type":["The type is invalid."]}}"#.utf8)
        #expect(ErrorExcerpt.describe(TargetResponse(status: 422, body: body), secrets: [])
            == "HTTP 422: The given data was invalid. (value: The value must be a string.; type: The type is invalid.)")
        let leaky = Array("invalid token ACCESS_TOKEN for account".utf8)
        #expect(Self.plannr.classify(TargetResponse(status: 403, body: leaky), to: TargetCall(method: "PUT", path: "/x"))
            == .permanent(reason: "HTTP 403: invalid token [redacted] for account"))
    }

    @Test("contact ids come from the route's rule; a missing one is a sentence")
    func contactIDs() {
        let patch = ContactPatch(customFields: ["plannr_account_uuid": .set("u-1")])
        #expect(ContactIDResolver.targetContactID(rule: .field("custom_fields.plannr_account_uuid"), target: "plannr", source: "buildr", sourceContactID: "144", patch: patch, references: References()) == .success("u-1"))
        #expect(ContactIDResolver.targetContactID(rule: .sourceID, target: "omni", source: "buildr", sourceContactID: "144", patch: patch, references: References()) == .success("144"))
        #expect(ContactIDResolver.targetContactID(rule: .field("external_references.buildr"), target: "buildr", source: "standard", sourceContactID: "c1", patch: patch, references: References())
            == .failure(ContactIDMissing(message: "the standard contact c1 has no external_references.buildr, so its buildr contact cannot be found")))
    }
}
