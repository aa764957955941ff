using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>PROTOCOL.md, Entering: an empty name is the address as Go writes it; listening on "::".</summary>
[CancelAfter(30_000)]
public class AddressTests
{
    [Test]
    public async Task EmptyName_OverIPv4_IsIpColonPort()
    {
        await using var server = TestServer.Start();
        await using var client = await server.ConnectAsync();
        await client.ExpectAsync("What is your name?");
        var local = (System.Net.IPEndPoint)client.Socket.LocalEndPoint!;

        await client.SendAsync("");

        Assert.That(await client.ReadLineAsync(), Is.EqualTo($"You are 127.0.0.1:{local.Port}"));
    }

    [Test]
    public async Task ListenOnAnyIPv6_AcceptsIPv4_AndShowsItAsIPv4()
    {
        await using var server = RxChat.Hosting.ChatServer.Start(new ChatServerOptions { Host = "::", Port = 0 });
        await using var client = await LineClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.EndPoint.Port));
        await client.ExpectAsync("What is your name?");
        var local = (System.Net.IPEndPoint)client.Socket.LocalEndPoint!;

        await client.SendAsync(" ");

        Assert.That(await client.ReadLineAsync(), Is.EqualTo($"You are 127.0.0.1:{local.Port}"));
    }

    [Test]
    public async Task EmptyName_OverIPv6_IsBracketedIpColonPort()
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6 || !File.Exists("/proc/net/if_inet6"))
        {
            Assert.Inconclusive("no IPv6 on this machine");
        }

        await using var server = RxChat.Hosting.ChatServer.Start(new ChatServerOptions { Host = "::1", Port = 0 });
        await using var client = await LineClient.ConnectAsync(server.EndPoint);
        await client.ExpectAsync("What is your name?");
        var local = (System.Net.IPEndPoint)client.Socket.LocalEndPoint!;

        await client.SendAsync("");

        Assert.That(await client.ReadLineAsync(), Is.EqualTo($"You are [::1]:{local.Port}"));
    }
}
