module example.com/cgoflip

go 1.21
