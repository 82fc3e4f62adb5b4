module example.com/modapp

go 1.21

require example.com/lib v1.3.0
