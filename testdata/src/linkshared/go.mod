module example.com/linkshared

go 1.21
