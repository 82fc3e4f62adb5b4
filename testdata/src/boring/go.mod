module example.com/boring

go 1.21
