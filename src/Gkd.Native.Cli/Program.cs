Console.WriteLine("gkd");
