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

    // A node of the room, given its Redis configuration through the environment (where ps does not show it).
    private static Task<HostProcess> StartNodeAsync(string configuration, string room, IReadOnlyList<string>? extra = null) =>
        HostProcess.StartAsync(
            ["--port", "0", "--room", room, "--rate-limit", "0", "--idle-timeout", "0", "--node-timeout", "2s", .. extra ?? []],
            environment: new Dictionary<string, string> { ["RXCHAT_REDIS"] = configuration });
}
