module example.com/cshared

go 1.21
