using RxChat;
using RxChat.Hosting;

namespace Samples.Tests.Support;

/// <summary>Real servers for socket tests: 127.0.0.1, an ephemeral port, the default limits.</summary>
internal static class Loopback
{
    public static ChatServer StartServer(ChatServerOptions? options = null) =>
        ChatServer.Start((options ?? new ChatServerOptions()) with { Host = "127.0.0.1", Port = 0 });
}
