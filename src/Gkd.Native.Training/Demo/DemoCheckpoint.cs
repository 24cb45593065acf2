using System.Text.Json.Nodes;
using Gkd.Native.Core.IO;
using Gkd.Native.Training.Model;
using Gkd.Native.Training.Text;
using Gkd.Native.Training.Trainer;

namespace Gkd.Native.Training.Demo;

/// <summary>
/// Saves a demo model as a Hugging Face checkpoint directory — config.json, generation_config.json (greedy, EOS
/// &lt;|im_end|&gt;), model.safetensors (f32) beside the tokenizer files — so <c>gkd generate</c>, <c>gkd eval</c> and
/// <c>gkd train</c> take it like any downloaded model.
/// </summary>
public static class DemoCheckpoint
{
    public static void Save(Qwen2Model model, IChatTokenizer tokenizer, string dir)
    {
        new FullStudentWeights(model).Save(dir); // model.safetensors + config.json, as a full fine-tune writes them
        var generation = new JsonObject
        {
            ["do_sample"] = false,
            ["eos_token_id"] = new JsonArray(tokenizer.EosTokenId),
            ["pad_token_id"] = tokenizer.PadTokenId,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, HfCheckpoint.GenerationConfigFileName), generation.ToJsonString() + "\n");
        DemoTokenizer.Write(dir);
    }
}
