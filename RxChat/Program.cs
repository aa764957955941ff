using RxChat.Hosting;

// The rxchat server: see README.md, and ../shared/PROTOCOL.md for the wire protocol.
return await ChatHost.RunAsync(args, Console.Out, Console.Error);
