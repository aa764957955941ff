using RxChat.Hosting;

// The rxchat server: see README.md, and docs/PROTOCOL.md for the wire protocol.
return await ChatHost.RunAsync(args, Console.Out, Console.Error);
