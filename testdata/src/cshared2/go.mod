module example.com/cshared2

go 1.21
