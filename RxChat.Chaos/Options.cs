using System.Globalization;

namespace RxChat.Chaos;

/// <summary>The fault run's options (Program.cs lists them).</summary>
internal sealed record Options(int Seed, TimeSpan Length, int Nodes, int Clients, TimeSpan NodeTimeout, string? Output, bool PlanOnly, string? Check, bool SingleRedis = false)
{
    /// <summary>Reads the command line; null (and a line on standard error) when it cannot.</summary>
    public static Options? Parse(string[] args)
    {
        var options = new Options(Random.Shared.Next(1, 100_000), TimeSpan.FromMinutes(3), 3, 2, TimeSpan.FromSeconds(2), null, false, null);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            double Number(double min) => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min
                ? n : throw new FormatException($"{args[i - 1]} needs a number of at least {min}");
            try
            {
                options = args[i] switch
                {
                    "--seed" => options with { Seed = (int)Number(int.MinValue) },
                    "--minutes" => options with { Length = TimeSpan.FromMinutes(Number(0.1)) },
                    "--nodes" => options with { Nodes = (int)Number(1) },
                    "--clients" => options with { Clients = (int)Number(1) },
                    "--node-timeout" => options with { NodeTimeout = TimeSpan.FromSeconds(Number(0.5)) },
                    "--out" => options with { Output = Value() },
                    "--plan" => options with { PlanOnly = true },
                    "--check" => options with { Check = Value() },
                    "--single-redis" => options with { SingleRedis = true },
                    _ => throw new FormatException($"unknown option {args[i]} (see RxChat.Chaos/Program.cs)"),
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return null;
            }
        }

        return options;
    }
}
