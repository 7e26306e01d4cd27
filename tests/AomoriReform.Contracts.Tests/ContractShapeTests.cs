using System.Reflection;
using AomoriReform.Contracts.Plan;

namespace AomoriReform.Tests.Contracts;

/// <summary>A contract's full type name is its identity on the wire; these rules keep it stable.</summary>
public sealed class ContractShapeTests
{
    private static readonly Type[] Contracts = typeof(PlanImported).Assembly.GetExportedTypes();

    [Fact]
    public void Every_contract_is_a_sealed_record_in_the_contracts_namespace()
    {
        Assert.NotEmpty(Contracts);
        Assert.All(Contracts, type =>
        {
            Assert.True(type.IsSealed || type.IsAbstract, $"{type.Name} is sealed (or an abstract base)");
            Assert.NotNull(type.GetMethod("<Clone>$"));
            Assert.StartsWith("AomoriReform.Contracts.", type.FullName, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Every_contract_property_is_init_only_and_required_unless_on_a_shared_base()
    {
        Assert.All(Contracts.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)).Where(p => p.Name != "EqualityContract"), property =>
        {
            Assert.True(property.DeclaringType!.IsAbstract || property.GetCustomAttribute<System.Runtime.CompilerServices.RequiredMemberAttribute>() is not null, $"{property.DeclaringType!.Name}.{property.Name} is required");
            Assert.Contains(property.SetMethod!.ReturnParameter.GetRequiredCustomModifiers(), m => m == typeof(System.Runtime.CompilerServices.IsExternalInit));
        });
    }

    [Fact]
    public void Instants_are_utc_date_times_not_local_or_offset_types()
    {
        var instants = Contracts.SelectMany(t => t.GetProperties()).Where(p => p.Name is "At" or "OpenedAt").ToList();

        Assert.NotEmpty(instants);
        Assert.All(instants, p => Assert.Equal(typeof(DateTime), p.PropertyType));
    }
}
