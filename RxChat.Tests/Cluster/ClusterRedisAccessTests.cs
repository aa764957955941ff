using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// A room's nodes on a Redis an operator would run (issue 18; docs/rooms.md, Redis in production): a user with the
/// least privilege the docs give, a password that never reaches a log.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterRedisAccessTests
{
    // docs/rooms.md: the commands a room's nodes need; a test below runs a room with exactly these.
    private static readonly string[] Commands =
    [
        "+eval", "+evalsha", "+script|load", "+subscribe", "+unsubscribe", "+ping", "+echo", "+quit", "+client|setname", "+client|id", "+info",
        "+hget", "+hmget", "+hset", "+hdel", "+hexists", "+incr", "+del", "+time", "+publish", "+xadd", "+xrange", "+xdel", "+xsetid", "+xtrim",
    ];

    [Test]
    public async Task RoomUnderTheDocumentedAclUser_ChatsAcrossTwoNodes()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.ExecuteAsync("ACL", ["SETUSER", "rxchat", "on", ">acl-secret", "resetkeys", "~{acl}:*", "resetchannels", "&{acl}:*", "-@all", .. Commands]);
        var configuration = $"{redis.Configuration},user=rxchat,password=acl-secret,tiebreaker=,configChannel=";
        await using var a = await StartNodeAsync(configuration, "acl");
        await using var b = await StartNodeAsync(configuration, "acl");
        await using var alice = await LineClient.EnterAsync(a.EndPoint, "alice");
        await using var bob = await LineClient.EnterAsync(b.EndPoint, "bob");
        await alice.ExpectAsync("bob has arrived");
        await bob.SendAsync("under least privilege");

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob: under least privilege"));
            Assert.That(a.Errors.Concat(b.Errors), Has.None.Contains("NOPERM"), "no command refused");
        });
    }

    [Test]
    public async Task RedisWithAPassword_RoomChats_AndNoOutputOfTheNodeHoldsThePassword()
    {
        const string secret = "s3cret-never-logged";
        await using var redis = await RedisServer.StartAsync(persistent: false, "--requirepass", secret);
        var configuration = $"{redis.Configuration},password={secret}";
        await using var a = await StartNodeAsync(configuration, "pw");
        await using var b = await StartNodeAsync(configuration, "pw", ["--log-messages", "true"]);
        await using var alice = await LineClient.EnterAsync(a.EndPoint, "alice");
        await using var bob = await LineClient.EnterAsync(b.EndPoint, "bob");
        await alice.ExpectAsync("bob has arrived");
        await alice.SendAsync("hello");
        await bob.ExpectAsync("alice: hello");

        var output = a.Output.Concat(a.Errors).Concat(b.Output).Concat(b.Errors).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(output, Has.None.Contains(secret));
            Assert.That(output, Has.Some.Contains("password=*****"), "the configuration is shown, its password masked");
        });
    }

    [Test]
    public async Task TlsOnlyRedis_WithTheRoomsCertificateAuthority_RoomChatsAcrossTwoNodes()
    {
        using var certificates = TestCertificates.Create();
        await using var redis = await StartTlsRedisAsync(certificates);
        var configuration = $"{redis.Configuration},ssl=true,sslHost=localhost";
        await using var a = await StartNodeAsync(configuration, "tls", ["--redis-ca", certificates.CaFile]);
        await using var b = await StartNodeAsync(configuration, "tls", ["--redis-ca", certificates.CaFile]);
        await using var alice = await LineClient.EnterAsync(a.EndPoint, "alice");
        await using var bob = await LineClient.EnterAsync(b.EndPoint, "bob");
        await alice.ExpectAsync("bob has arrived");
        await bob.SendAsync("over TLS");

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob: over TLS"));
    }

    [Test]
    public async Task TlsOnlyRedis_ANodeTrustingAnotherAuthority_SaysWhyAndNeverOpensItsDoor()
    {
        using var certificates = TestCertificates.Create();
        using var stranger = TestCertificates.Create("another authority");
        await using var redis = await StartTlsRedisAsync(certificates);
        await using var node = await HostProcess.StartAsync(
            ["--port", "0", "--room", "tls", "--node-timeout", "2s", "--redis-ca", stranger.CaFile], waitForListening: false,
            environment: new Dictionary<string, string> { ["RXCHAT_REDIS"] = $"{redis.Configuration},ssl=true,sslHost=localhost" });

        await node.WaitForEventAsync(RoomLog.JoinFailedEvent, TimeSpan.FromSeconds(30));
        var listening = node.ListeningAsync(TimeSpan.FromSeconds(3));

        Assert.Multiple(() =>
        {
            Assert.That(async () => await listening, Throws.InstanceOf<TimeoutException>(), "it cannot serve the room, so it does not listen");
            Assert.That(node.Errors.Where(l => l.Contains($"[{RoomLog.JoinFailedEvent}]", StringComparison.Ordinal)), Has.Some.Contains("ertificate").Or.Contains("SSL").Or.Contains("uthentication"));
        });
    }

    // redis-server with TLS only (no plain port), serving the test's certificate, not asking clients for one.
    private static Task<RedisServer> StartTlsRedisAsync(TestCertificates certificates) => RedisServer.StartAsync(persistent: false,
        "--port", "0", "--tls-port", "{port}", "--tls-cert-file", certificates.CertFile, "--tls-key-file", certificates.KeyFile,
        "--tls-ca-cert-file", certificates.CaFile, "--tls-auth-clients", "no");

    // A node of the room, given its Redis configuration through the environment (where ps does not show it).
    private static Task<HostProcess> StartNodeAsync(string configuration, string room, IReadOnlyList<string>? extra = null) =>
        HostProcess.StartAsync(
            ["--port", "0", "--room", room, "--rate-limit", "0", "--idle-timeout", "0", "--node-timeout", "2s", .. extra ?? []],
            environment: new Dictionary<string, string> { ["RXCHAT_REDIS"] = configuration });
}
