using FlexFunctions.Functions.Middleware;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<CorrelationIdMiddleware>();

// The whole service graph comes from one method, the same one the tests call.
builder.Services.AddFlexFunctions(builder.Configuration);

builder.Build().Run();
