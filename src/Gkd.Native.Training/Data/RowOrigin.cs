namespace Gkd.Native.Training.Data;

/// <summary>How a row is located inside its file.</summary>
public enum RowLocator
{
    /// <summary>A 1-based physical line of a JSON-lines file.</summary>
    Line,

    /// <summary>A 0-based row index, as in <c>dataset[i]</c>: the element of a JSON array or the row of a parquet file
    /// (counted across its row groups).</summary>
    Row,
}

/// <summary>Where a dataset row came from, for error messages: "data/train.jsonl line 3", "train.parquet row 0".</summary>
public readonly record struct RowOrigin(string File, RowLocator Locator, int Number)
{
    public override string ToString() => Locator == RowLocator.Line ? $"{File} line {Number}" : $"{File} row {Number}";
}
